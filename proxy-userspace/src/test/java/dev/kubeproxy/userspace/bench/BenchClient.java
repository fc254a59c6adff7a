package dev.kubeproxy.userspace.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The benchmark's client, one measurement per run after a warm-up, printing one result line:
 * {@code rate HOST PORT THREADS SECONDS} (closed loop: connect, one request, read the answer to
 * EOF, close; connections/s and latency percentiles), {@code paced HOST PORT RATE SECONDS}
 * (one request every 1/RATE s; latency percentiles), {@code bulk HOST PORT STREAMS SECONDS}
 * (bytes/s read over STREAMS connections).
 */
public final class BenchClient {
  private static final int WARMUP_SECONDS = 2;

  private BenchClient() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    InetSocketAddress target = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
    int n = Integer.parseInt(args[3]);
    int seconds = Integer.parseInt(args[4]);
    switch (mode) {
      case "rate" -> {
        rate(target, n, WARMUP_SECONDS);
        Result r = rate(target, n, seconds);
        System.out.printf("rate %.0f p50_us %d p99_us %d failures %d%n",
            r.latencies.length / (double) seconds, pct(r.latencies, 50), pct(r.latencies, 99), r.failures);
      }
      case "paced" -> {
        paced(target, n, WARMUP_SECONDS);
        Result r = paced(target, n, seconds);
        System.out.printf("paced %d p50_us %d p99_us %d failures %d%n",
            r.latencies.length, pct(r.latencies, 50), pct(r.latencies, 99), r.failures);
      }
      case "bulk" -> {
        bulk(target, n, WARMUP_SECONDS);
        long bytes = bulk(target, n, seconds);
        System.out.printf("bulk %.1f MiB/s%n", bytes / (double) seconds / (1 << 20));
      }
      default -> throw new IllegalArgumentException(mode);
    }
  }

  private record Result(long[] latencies, long failures) {}

  private static long request(InetSocketAddress target) throws IOException {
    long t0 = System.nanoTime();
    try (Socket s = new Socket()) {
      s.setTcpNoDelay(true);
      s.connect(target, 2000);
      s.setSoTimeout(2000);
      s.getOutputStream().write('Q');
      InputStream in = s.getInputStream();
      byte[] buf = new byte[256];
      int total = 0;
      for (int r = in.read(buf); r >= 0; r = in.read(buf)) {
        total += r;
      }
      if (total != BenchServer.RESPONSE_BYTES) {
        throw new IOException("answer of " + total + " bytes");
      }
    }
    return System.nanoTime() - t0;
  }

  private static Result rate(InetSocketAddress target, int threads, int seconds) throws InterruptedException {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    long[][] perThread = new long[threads][];
    AtomicLong failures = new AtomicLong();
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      int index = i;
      Thread t = new Thread(() -> {
        long[] lat = new long[1 << 16];
        int count = 0;
        while (System.nanoTime() < end) {
          try {
            long l = request(target);
            if (count == lat.length) {
              lat = Arrays.copyOf(lat, lat.length * 2);
            }
            lat[count++] = l;
          } catch (IOException e) {
            failures.incrementAndGet();
          }
        }
        perThread[index] = Arrays.copyOf(lat, count);
      }, "rate-" + i);
      workers.add(t);
      t.start();
    }
    for (Thread t : workers) {
      t.join();
    }
    return new Result(Arrays.stream(perThread).flatMapToLong(Arrays::stream).toArray(), failures.get());
  }

  private static Result paced(InetSocketAddress target, int perSecond, int seconds) {
    long interval = 1_000_000_000L / perSecond;
    int total = perSecond * seconds;
    long[] lat = new long[total];
    long failures = 0;
    long next = System.nanoTime();
    int count = 0;
    for (int i = 0; i < total; i++) {
      while (System.nanoTime() < next) {
        Thread.onSpinWait();
      }
      next += interval;
      try {
        lat[count++] = request(target);
      } catch (IOException e) {
        count--;
        failures++;
      }
    }
    return new Result(Arrays.copyOf(lat, count), failures);
  }

  private static long bulk(InetSocketAddress target, int streams, int seconds) throws Exception {
    AtomicLong bytes = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> readers = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[64 * 1024];
        try (Socket s = new Socket()) {
          s.connect(target, 2000);
          s.getOutputStream().write('B');
          InputStream in = s.getInputStream();
          while (!stop.get()) {
            int r = in.read(buf);
            if (r < 0) {
              return;
            }
            bytes.addAndGet(r);
          }
        } catch (IOException e) {
          // counted as missing bytes
        }
      });
      readers.add(t);
      t.start();
    }
    Thread.sleep(300);
    long before = bytes.get();
    Thread.sleep(seconds * 1000L);
    long after = bytes.get();
    stop.set(true);
    for (Thread t : readers) {
      t.join(5000);
    }
    return after - before;
  }

  private static long pct(long[] latencies, int p) {
    if (latencies.length == 0) {
      return -1;
    }
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    int index = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
    return sorted[Math.max(0, index)] / 1000;
  }
}
