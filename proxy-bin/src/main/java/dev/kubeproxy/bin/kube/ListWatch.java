package dev.kubeproxy.bin.kube;

import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.informer.ListerWatcher;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.util.CallGenerator;
import io.kubernetes.client.util.CallGeneratorParams;
import io.kubernetes.client.util.Watchable;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Response;

/**
 * Lists and watches one resource with the request {@code calls} builds (which carries the
 * label or field selector), decoding with {@link LenientJson}. Lists use the client's own read
 * timeout and back off exponentially after failures; a watch may stay quiet for as long as the server-side timeout it asks for,
 * plus some slack, before the connection counts as dead.
 */
final class ListWatch<T extends KubernetesObject, L extends KubernetesListObject>
    implements ListerWatcher<T, L> {
  private static final Duration WATCH_SLACK = Duration.ofSeconds(30);

  private final ApiClient client;
  private final CallGenerator calls;
  private final Class<L> listType;
  private final Class<T> objectType;
  private final Backoff backoff;

  ListWatch(ApiClient client, CallGenerator calls, Class<T> type, Class<L> listType, Backoff backoff) {
    this.client = Objects.requireNonNull(client, "client");
    this.calls = Objects.requireNonNull(calls, "calls");
    this.listType = Objects.requireNonNull(listType, "listType");
    this.objectType = type;
    this.backoff = Objects.requireNonNull(backoff, "backoff");
  }

  @Override
  public L list(CallGeneratorParams params) throws ApiException {
    pause(backoff.delay());
    try (Response response = calls.generate(params).execute()) {
      String body = response.body() == null ? "" : response.body().string();
      if (!response.isSuccessful()) {
        throw new ApiException(
            response.message(), response.code(), response.headers().toMultimap(), body);
      }
      L list = LenientJson.decode(body, listType);
      backoff.succeeded();
      return list;
    } catch (ApiException e) {
      backoff.failed();
      throw e;
    } catch (IOException | RuntimeException e) {
      backoff.failed();
      throw new ApiException(e);
    }
  }

  @Override
  public Watchable<T> watch(CallGeneratorParams params) throws ApiException {
    Call call = calls.generate(params);
    Duration quiet =
        params.timeoutSeconds == null
            ? Duration.ZERO // no server-side timeout requested: wait forever, as the client does
            : Duration.ofSeconds(params.timeoutSeconds).plus(WATCH_SLACK);
    OkHttpClient http = client.getHttpClient().newBuilder().readTimeout(quiet).build();
    Call watch = http.newCall(call.request());
    Response response;
    try {
      response = watch.execute();
    } catch (IOException e) {
      // The reflector recognises a ConnectException cause and retries the watch, not a relist.
      throw new ApiException(e);
    }
    if (!response.isSuccessful()) {
      try (response) {
        String body = response.body() == null ? "" : response.body().string();
        throw new ApiException(
            response.message(), response.code(), response.headers().toMultimap(), body);
      } catch (IOException e) {
        throw new ApiException(e);
      }
    }
    return new LenientWatch<>(watch, response.body(), objectType);
  }

  private static void pause(Duration delay) throws ApiException {
    if (delay.isZero()) {
      return;
    }
    try {
      Thread.sleep(delay.toMillis());
    } catch (InterruptedException e) {
      // Stopping the informer interrupts its reflector thread.
      Thread.currentThread().interrupt();
      throw new ApiException("interrupted while backing off");
    }
  }
}
