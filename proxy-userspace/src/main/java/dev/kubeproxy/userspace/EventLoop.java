package dev.kubeproxy.userspace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One selector thread: it owns the channels registered with it, runs tasks handed over from
 * other threads, and fires timers, so connection state is only ever touched by one thread.
 */
final class EventLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

  /** What a registered channel's attachment does when its channel is ready. */
  interface Handler {
    void ready(SelectionKey key);

    /** Called when {@link #ready} threw: the handler must release its channels. */
    void failed(Throwable error);
  }

  /** A scheduled task; cancel it to stop it from running. */
  static final class Timer implements Comparable<Timer> {
    private final long deadline;
    private final Runnable task;
    private boolean cancelled;

    private Timer(long deadline, Runnable task) {
      this.deadline = deadline;
      this.task = task;
    }

    void cancel() {
      cancelled = true;
    }

    @Override
    public int compareTo(Timer o) {
      return Long.compare(deadline, o.deadline);
    }
  }

  private final Selector selector;
  private final Thread thread;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final PriorityQueue<Timer> timers = new PriorityQueue<>();
  private final int scratchBytes;
  private ByteBuffer scratch;
  private volatile boolean running = true;

  EventLoop(String name, int scratchBytes) {
    this.scratchBytes = scratchBytes;
    try {
      this.selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * The loop's one I/O buffer, cleared: every read lands here first, so an idle connection
   * holds no buffer of its own. Loop thread only.
   */
  ByteBuffer scratch() {
    checkLoop();
    if (scratch == null) {
      scratch = ByteBuffer.allocateDirect(scratchBytes);
    }
    return scratch.clear();
  }

  boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** Runs {@code task} on this loop's thread (soon, in submission order). */
  void execute(Runnable task) {
    tasks.add(task);
    selector.wakeup();
  }

  /** Runs {@code task} on this loop and waits for its result (or runs it inline on the loop). */
  <T> T call(Supplier<T> task, long timeoutMillis) {
    if (inLoop()) {
      return task.get();
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    execute(
        () -> {
          try {
            result.complete(task.get());
          } catch (RuntimeException e) {
            result.completeExceptionally(e);
          }
        });
    try {
      return result.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for " + thread.getName(), e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(thread.getName() + " did not answer in " + timeoutMillis + " ms");
    }
  }

  /** Registers {@code channel} with {@code handler}; loop thread only. */
  SelectionKey register(SelectableChannel channel, int ops, Handler handler) throws ClosedChannelException {
    checkLoop();
    return channel.register(selector, ops, handler);
  }

  /**
   * Really closes the channels closed since the last select: a registered channel keeps its
   * socket until its key is deregistered, which would keep its port bound. Readiness is level
   * triggered, so the events this select skips are reported again by the next. Loop only.
   */
  void flushClosed() {
    checkLoop();
    try {
      selector.selectNow(key -> {});
    } catch (IOException e) {
      log.debug("selectNow", e);
    }
  }

  /** Runs {@code task} after {@code delayNanos}; loop thread only. */
  Timer schedule(long delayNanos, Runnable task) {
    checkLoop();
    Timer timer = new Timer(System.nanoTime() + delayNanos, task);
    timers.add(timer);
    return timer;
  }

  private void checkLoop() {
    if (!inLoop()) {
      throw new IllegalStateException("not on " + thread.getName());
    }
  }

  private void run() {
    while (running) {
      try {
        if (tasks.isEmpty()) {
          selector.select(this::dispatch, selectTimeoutMillis());
        } else {
          selector.selectNow(this::dispatch);
        }
        runTasks();
        runTimers();
      } catch (IOException | RuntimeException e) {
        log.error("{}: unexpected error", thread.getName(), e);
      }
    }
    runTasks();
    try {
      selector.close();
    } catch (IOException e) {
      log.debug("closing selector", e);
    }
  }

  /** Milliseconds until the next timer (at least 1), or 0 (block) when none is due. */
  private long selectTimeoutMillis() {
    Timer next = timers.peek();
    if (next == null) {
      return 0;
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(next.deadline - System.nanoTime());
    return Math.max(1, millis + 1);
  }

  private void dispatch(SelectionKey key) {
    Handler handler = (Handler) key.attachment();
    try {
      if (key.isValid()) {
        handler.ready(key);
      }
    } catch (RuntimeException e) {
      log.warn("{}: handler failed", thread.getName(), e);
      handler.failed(e);
    }
  }

  private void runTasks() {
    Runnable task;
    while ((task = tasks.poll()) != null) {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.warn("{}: task failed", thread.getName(), e);
      }
    }
  }

  private void runTimers() {
    long now = System.nanoTime();
    Timer timer;
    while ((timer = timers.peek()) != null && timer.deadline - now <= 0) {
      timers.poll();
      if (!timer.cancelled) {
        try {
          timer.task.run();
        } catch (RuntimeException e) {
          log.warn("{}: timer failed", thread.getName(), e);
        }
      }
    }
  }

  /** Stops the thread after it ran the tasks already queued; channels are the owners' job. */
  @Override
  public void close() {
    running = false;
    selector.wakeup();
    if (!inLoop()) {
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
