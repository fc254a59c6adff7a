package dev.kubeproxy.bin;

import dev.kubeproxy.model.sync.SyncEvent;
import dev.kubeproxy.model.sync.SyncListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Fans one sync event out to several listeners; one failing listener does not stop the rest. */
final class SyncListeners implements SyncListener {
  private static final Logger log = LoggerFactory.getLogger(SyncListeners.class);

  private final List<SyncListener> listeners = new CopyOnWriteArrayList<>();

  void add(SyncListener listener) {
    listeners.add(listener);
  }

  @Override
  public void onSync(SyncEvent event) {
    for (SyncListener listener : listeners) {
      try {
        listener.onSync(event);
      } catch (RuntimeException e) {
        log.warn("sync listener failed", e);
      }
    }
  }
}
