package dev.kubeproxy.bin.kube;

import com.google.gson.reflect.TypeToken;
import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.informer.ListerWatcher;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.util.CallGenerator;
import io.kubernetes.client.util.CallGeneratorParams;
import io.kubernetes.client.util.Watch;
import io.kubernetes.client.util.Watchable;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.Objects;
import okhttp3.Call;
import okhttp3.OkHttpClient;

/**
 * Lists and watches one resource with the request {@code calls} builds (which carries the
 * label or field selector). Lists use the client's own read timeout and back off exponentially
 * after failures; a watch may stay quiet for as long as the server-side timeout it asks for,
 * plus some slack, before the connection counts as dead.
 */
final class ListWatch<T extends KubernetesObject, L extends KubernetesListObject>
    implements ListerWatcher<T, L> {
  private static final Duration WATCH_SLACK = Duration.ofSeconds(30);

  private final ApiClient client;
  private final CallGenerator calls;
  private final Class<L> listType;
  private final Type watchType;
  private final Backoff backoff;

  ListWatch(ApiClient client, CallGenerator calls, Class<T> type, Class<L> listType, Backoff backoff) {
    this.client = Objects.requireNonNull(client, "client");
    this.calls = Objects.requireNonNull(calls, "calls");
    this.listType = Objects.requireNonNull(listType, "listType");
    this.watchType = TypeToken.getParameterized(Watch.Response.class, type).getType();
    this.backoff = Objects.requireNonNull(backoff, "backoff");
  }

  @Override
  public L list(CallGeneratorParams params) throws ApiException {
    pause(backoff.delay());
    try {
      L list = client.<L>execute(calls.generate(params), listType).getData();
      backoff.succeeded();
      return list;
    } catch (ApiException e) {
      backoff.failed();
      throw e;
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
    return Watch.createWatch(client, http.newCall(call.request()), watchType);
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
