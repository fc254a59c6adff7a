package dev.kubeproxy.bin.kube;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kubeproxy.api.NamespacedName;
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
 * upstream sets to its name), or in a Service's namespace regarding that Service, reported by
 * controller {@code kube-proxy}, instance {@code kube-proxy-<node>}. Sent from one background thread; a failure is logged, not retried.
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
    send(event(type, reason, action, note), "Node " + nodeName);
  }

  /**
   * As upstream's warnings about a Service: the Event lives in the Service's namespace and is
   * regarding the Service (kind, namespace, name, UID).
   */
  @Override
  public void recordForService(
      NamespacedName service, String uid, String type, String reason, String action, String note) {
    send(serviceEvent(service, uid, type, reason, action, note), "Service " + service);
  }

  private void send(EventsV1Event event, String regarding) {
    sender.execute(
        () -> {
          try {
            api.createNamespacedEvent(event.getMetadata().getNamespace(), event).execute();
          } catch (ApiException | RuntimeException e) {
            log.warn("could not record event {} {} on {}: {}", event.getType(), event.getReason(),
                regarding,
                e instanceof ApiException a ? a.getCode() + " " + a.getResponseBody() : e.getMessage());
          }
        });
  }

  /** The Event as upstream's events.k8s.io/v1 recorder builds it. */
  EventsV1Event event(String type, String reason, String action, String note) {
    return base(nodeName, NAMESPACE, type, reason, action, note)
        .regarding(new V1ObjectReference().kind("Node").name(nodeName).uid(nodeName));
  }

  /** An Event regarding the Service {@code service}, in its namespace. */
  EventsV1Event serviceEvent(
      NamespacedName service, String uid, String type, String reason, String action, String note) {
    return base(service.name(), service.namespace(), type, reason, action, note)
        .regarding(new V1ObjectReference()
            .kind("Service")
            .namespace(service.namespace())
            .name(service.name())
            .uid(uid == null || uid.isEmpty() ? null : uid));
  }

  /** What every Event shares; its name is the regarding object's name plus a timestamp. */
  private EventsV1Event base(
      String objectName, String namespace, String type, String reason, String action, String note) {
    OffsetDateTime now = OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    return new EventsV1Event()
        .apiVersion("events.k8s.io/v1")
        .kind("Event")
        .metadata(new V1ObjectMeta()
            .name(objectName + "." + Long.toHexString(clock.instant().toEpochMilli() * 1_000_000L))
            .namespace(namespace))
        .eventTime(now)
        .type(type)
        .reason(reason)
        .action(action)
        .note(note == null || note.isEmpty() ? null : note)
        .reportingController(CONTROLLER)
        .reportingInstance(CONTROLLER + "-" + nodeName);
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
