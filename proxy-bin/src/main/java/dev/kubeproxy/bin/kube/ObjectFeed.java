package dev.kubeproxy.bin.kube;

import dev.kubeproxy.api.InvalidObjectException;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds one informer's events to a {@link Sink} (which converts and hands them to the change
 * tracker), then calls {@code onChange}. Remembers the resourceVersion it last fed per object,
 * so a relist or a replay of an unchanged object is not fed again and an invalid object is
 * reported once per version; an invalid object is skipped with one WARN line, which keeps
 * whatever version the sink had before.
 */
final class ObjectFeed<T extends KubernetesObject> implements ResourceEventHandler<T> {
  private static final Logger log = LoggerFactory.getLogger(ObjectFeed.class);

  /** Where converted objects go; both methods may throw for an invalid object. */
  interface Sink<T> {
    void upsert(T object);

    void delete(T object);

    /** A sink that hands upserts to {@code upsert} and deletions to {@code delete}. */
    static <T> Sink<T> of(Consumer<T> upsert, Consumer<T> delete) {
      Objects.requireNonNull(upsert, "upsert");
      Objects.requireNonNull(delete, "delete");
      return new Sink<>() {
        @Override
        public void upsert(T object) {
          upsert.accept(object);
        }

        @Override
        public void delete(T object) {
          delete.accept(object);
        }
      };
    }
  }

  private final String kind;
  private final Sink<T> sink;
  private final Runnable onChange;
  private final DecodeProblems problems;
  // Object key -> resourceVersion last fed (null when the object carried none); guarded by this.
  private final Map<String, String> fed = new HashMap<>();

  ObjectFeed(String kind, Sink<T> sink, Runnable onChange) {
    this(kind, sink, onChange, new DecodeProblems());
  }

  /** As above; an object {@code problems} names is a shell of a bad object, skipped with a WARN. */
  ObjectFeed(String kind, Sink<T> sink, Runnable onChange, DecodeProblems problems) {
    this.problems = Objects.requireNonNull(problems, "problems");
    this.kind = Objects.requireNonNull(kind, "kind");
    this.sink = Objects.requireNonNull(sink, "sink");
    this.onChange = Objects.requireNonNull(onChange, "onChange");
  }

  @Override
  public void onAdd(T object) {
    apply(object);
  }

  @Override
  public void onUpdate(T oldObject, T newObject) {
    apply(newObject);
  }

  @Override
  public void onDelete(T object, boolean finalStateUnknown) {
    if (object == null) {
      // A tombstone without its last state: the informer's cache never held it, nor did we.
      log.warn("a {} vanished during a relist but its last state is unknown; ignoring", kind);
      return;
    }
    String key = key(object);
    synchronized (this) {
      fed.remove(key);
      try {
        sink.delete(object);
      } catch (RuntimeException e) {
        log.warn("ignoring the deletion of {} {}: {}", kind, key, e.getMessage());
        return;
      }
    }
    onChange.run();
  }

  /**
   * Feeds every object of {@code objects} not fed at its current version yet; called when the
   * informer has synced, because its handlers may still be working through the initial list.
   */
  void replay(Collection<T> objects) {
    objects.forEach(this::apply);
  }

  private void apply(T object) {
    String key = key(object);
    String version = object.getMetadata() == null ? null : object.getMetadata().getResourceVersion();
    synchronized (this) {
      if (version != null && fed.containsKey(key) && version.equals(fed.get(key))) {
        return;
      }
      fed.put(key, version);
      String problem = problems.of(object);
      if (problem != null) {
        log.warn("skipping {} {}: {}", kind, key, problem);
        return;
      }
      try {
        sink.upsert(object);
      } catch (InvalidObjectException e) {
        log.warn("skipping {}", e.getMessage());
        return;
      } catch (RuntimeException e) {
        log.warn("skipping {} {}: {}", kind, key, e.getMessage());
        return;
      }
    }
    onChange.run();
  }

  private static String key(KubernetesObject object) {
    V1ObjectMeta meta = object.getMetadata();
    if (meta == null) {
      return "(no metadata)";
    }
    return meta.getNamespace() == null ? meta.getName() : meta.getNamespace() + "/" + meta.getName();
  }
}
