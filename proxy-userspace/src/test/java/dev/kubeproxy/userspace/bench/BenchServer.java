package dev.kubeproxy.userspace.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The benchmark's endpoint: on each port given, a thread per connection that reads one command
 * byte, then for {@code Q} answers {@link #RESPONSE_BYTES} bytes and closes, for {@code B}
 * writes 64 KiB chunks until the client goes away. Runs until killed.
 */
public final class BenchServer {
  static final int RESPONSE_BYTES = 64;

  private BenchServer() {}

  public static void main(String[] args) throws IOException {
    InetAddress address = InetAddress.getByName(args[0]);
    ExecutorService workers = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r);
      t.setDaemon(true);
      return t;
    });
    for (int i = 1; i < args.length; i++) {
      ServerSocket server = new ServerSocket(Integer.parseInt(args[i]), 4096, address);
      Thread acceptor = new Thread(() -> {
        while (true) {
          try {
            Socket s = server.accept();
            workers.execute(() -> serve(s));
          } catch (IOException e) {
            return;
          }
        }
      }, "accept-" + args[i]);
      acceptor.start();
    }
    System.out.println("ready");
  }

  private static void serve(Socket s) {
    byte[] chunk = new byte[64 * 1024];
    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
      s.setTcpNoDelay(true);
      int command = in.read();
      if (command == 'Q') {
        out.write(chunk, 0, RESPONSE_BYTES);
      } else if (command == 'B') {
        while (true) {
          out.write(chunk);
        }
      }
    } catch (IOException e) {
      // the client went away
    }
  }
}
