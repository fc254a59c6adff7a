package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The proxy's selector threads: listeners are spread over them by their key, accepted
 * connections in turn, so the connections share every thread.
 */
final class Loops implements AutoCloseable {
  private final ImmutableList<EventLoop> loops;
  private final AtomicInteger turn = new AtomicInteger();

  Loops(int count, int bufferBytes) {
    ImmutableList.Builder<EventLoop> b = ImmutableList.builder();
    for (int i = 0; i < count; i++) {
      b.add(new EventLoop("userspace-proxy-" + i, bufferBytes));
    }
    this.loops = b.build();
  }

  /** The next loop in turn, for a new connection. */
  EventLoop next() {
    return loops.get(Math.floorMod(turn.getAndIncrement(), loops.size()));
  }

  /** A fixed loop for {@code owner}, for a listener. */
  EventLoop forOwner(Object owner) {
    return loops.get(Math.floorMod(owner.hashCode(), loops.size()));
  }

  /**
   * Waits until every loop ran the tasks queued so far (e.g. connection cuts) and really closed
   * the sockets those tasks closed.
   */
  void barrier(long timeoutMillis) {
    for (EventLoop loop : loops) {
      loop.call(
          () -> {
            loop.flushClosed();
            return null;
          },
          timeoutMillis);
    }
  }

  @Override
  public void close() {
    for (EventLoop loop : loops) {
      loop.close();
    }
  }
}
