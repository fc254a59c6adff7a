package dev.kubeproxy.bin.kube;

import static com.google.common.base.Preconditions.checkArgument;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.EventsV1Api;
import io.kubernetes.client.openapi.models.EventsV1Event;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link NodeEvents} through the official client, as upstream's recorder writes them: an
 * {@code events.k8s.io/v1} Event in namespace {@code default} regarding the Node (whose UID
 * upstream sets to its name), reported by controller {@code kube-proxy}, instance
 * {@code kube-proxy-<node>}. Sent from one background thread; a failure is logged, not retried.
 */
public final class KubernetesNodeEvents implements NodeEvents, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubernetesNodeEvents.class);
  static final String NAMESPACE = "default";
  static final String CONTROLLER = "kube-proxy";

  private final EventsV1Api api;
  private final String nodeName;
  private final Clock clock;
  private final ExecutorService sender =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "node-events");
            t.setDaemon(true);
            return t;
          });

  public KubernetesNodeEvents(ApiClient client, String nodeName, Clock clock) {
    checkArgument(nodeName != null && !nodeName.isEmpty(), "nodeName must be set");
    this.api = new EventsV1Api(client);
    this.nodeName = nodeName;
    this.clock = clock;
  }

  @Override
  public void record(String type, String reason, String action, String note) {
    EventsV1Event event = event(type, reason, action, note);
    sender.execute(
        () -> {
          try {
            api.createNamespacedEvent(NAMESPACE, event).execute();
          } catch (ApiException | RuntimeException e) {
            log.warn("could not record event {} {} on Node {}: {}", type, reason, nodeName,
                e instanceof ApiException a ? a.getCode() + " " + a.getResponseBody() : e.getMessage());
          }
        });
  }

  /** The Event as upstream's events.k8s.io/v1 recorder builds it. */
  EventsV1Event event(String type, String reason, String action, String note) {
    OffsetDateTime now = OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    return new EventsV1Event()
        .apiVersion("events.k8s.io/v1")
        .kind("Event")
        .metadata(new V1ObjectMeta()
            .name(nodeName + "." + Long.toHexString(clock.instant().toEpochMilli() * 1_000_000L))
            .namespace(NAMESPACE))
        .eventTime(now)
        .type(type)
        .reason(reason)
        .action(action)
        .note(note == null || note.isEmpty() ? null : note)
        .reportingController(CONTROLLER)
        .reportingInstance(CONTROLLER + "-" + nodeName)
        .regarding(new V1ObjectReference().kind("Node").name(nodeName).uid(nodeName));
  }

  /** Sends what is queued (up to two seconds), then stops. */
  @Override
  public void close() {
    sender.shutdown();
    try {
      sender.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
