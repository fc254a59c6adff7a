package dev.kubeproxy.bin.kube;

import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.informer.ListerWatcher;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1ListMeta;
import io.kubernetes.client.util.CallGenerator;
import io.kubernetes.client.util.CallGeneratorParams;
import io.kubernetes.client.util.Watchable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists and watches one resource with the request {@code calls} builds (which carries the
 * label or field selector), decoding each object on its own with {@link LenientJson}. Lists are
 * paginated as client-go's pager does: pages of {@link #PAGE_SIZE} ({@code limit}), following
 * {@code continue} (without a resourceVersion, which the API server refuses beside it) until
 * the last page; a continue token that expired (410) falls back to one unpaginated list at the
 * requested resourceVersion. As client-go's reflector, a relist from a specific resourceVersion
 * asks for pages only if an earlier list came back paginated (otherwise the API server may serve
 * it from its watch cache). Responses are read item by item, never held whole. Lists use the
 * client's own read timeout and back off exponentially after failures; a watch may stay quiet
 * for as long as the server-side timeout it asks for, plus some slack, before the connection
 * counts as dead.
 */
final class ListWatch<T extends KubernetesObject, L extends KubernetesListObject>
    implements ListerWatcher<T, L> {
  private static final Logger log = LoggerFactory.getLogger(ListWatch.class);
  /** client-go's pager page size, which upstream kube-proxy's informers use. */
  static final int PAGE_SIZE = 500;
  private static final Duration WATCH_SLACK = Duration.ofSeconds(30);

  private final ApiClient client;
  private final CallGenerator calls;
  private final Class<L> listType;
  private final Class<T> objectType;
  private final Backoff backoff;
  private final DecodeProblems problems;
  private volatile boolean paginated;

  ListWatch(ApiClient client, CallGenerator calls, Class<T> type, Class<L> listType, Backoff backoff,
      DecodeProblems problems) {
    this.client = Objects.requireNonNull(client, "client");
    this.calls = Objects.requireNonNull(calls, "calls");
    this.listType = Objects.requireNonNull(listType, "listType");
    this.objectType = Objects.requireNonNull(type, "type");
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.problems = Objects.requireNonNull(problems, "problems");
  }

  @Override
  public L list(CallGeneratorParams params) throws ApiException {
    pause(backoff.delay());
    try {
      L list = listPages(calls.generate(params).request(), params.resourceVersion);
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

  /** The whole list {@code request} asks for, page by page where pages are due. */
  private L listPages(Request request, String resourceVersion) throws ApiException, IOException {
    boolean fromCache = resourceVersion == null || resourceVersion.isEmpty() || resourceVersion.equals("0");
    if (!fromCache && !paginated) {
      return assemble(fetch(request));
    }
    V1ListMeta first = null;
    List<T> items = new ArrayList<>();
    String token = null;
    while (true) {
      HttpUrl.Builder url = request.url().newBuilder().setQueryParameter("limit", Integer.toString(PAGE_SIZE));
      if (token != null) {
        url.removeAllQueryParameters("resourceVersion")
            .removeAllQueryParameters("resourceVersionMatch")
            .setQueryParameter("continue", token);
      }
      LenientJson.Page<T> page;
      try {
        page = fetch(request.newBuilder().url(url.build()).build());
      } catch (ApiException e) {
        if (token == null || e.getCode() != 410) {
          throw e;
        }
        log.info("{} list: continue token expired after {} objects; listing again in one piece",
            objectType.getSimpleName(), items.size());
        items = null; // let the pages read so far go before the whole list arrives
        return assemble(fetch(request));
      }
      if (first == null) {
        first = page.metadata();
      }
      items.addAll(page.items());
      token = page.metadata().getContinue();
      if (token == null || token.isEmpty()) {
        return assemble(new LenientJson.Page<>(first, items));
      }
      paginated = true;
    }
  }

  /** One list response, decoded item by item. */
  private LenientJson.Page<T> fetch(Request request) throws ApiException, IOException {
    try (Response response = client.getHttpClient().newCall(request).execute()) {
      ResponseBody body = response.body();
      if (!response.isSuccessful()) {
        throw new ApiException(response.message(), response.code(), response.headers().toMultimap(),
            body == null ? "" : body.string());
      }
      if (body == null) {
        throw new IOException("empty list response");
      }
      return LenientJson.page(body.charStream(), objectType, problems);
    }
  }

  /** The client's list type holding {@code page}'s objects at its resourceVersion. */
  private L assemble(LenientJson.Page<T> page) {
    return LenientJson.list(listType, page.metadata().getResourceVersion(), page.items());
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
    return new LenientWatch<>(watch, response.body(), objectType, problems);
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
