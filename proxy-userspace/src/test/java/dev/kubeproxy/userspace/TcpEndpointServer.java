package dev.kubeproxy.userspace;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.ServiceEndpoint;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback endpoint for tests: greets each connection with its name and a newline, echoes
 * what it reads, and answers an end of stream with {@code eof\n} before closing. One NIO thread,
 * so thousands of connections cost no threads; it stops reading a connection whose echo is
 * still queued (backpressure).
 */
final class TcpEndpointServer implements AutoCloseable {
  private final String name;
  private final ServerSocketChannel server;
  private final Selector selector;
  private final Thread thread;
  private final AtomicInteger accepted = new AtomicInteger();
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
  private volatile boolean running = true;

  private static final class Conn {
    final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
    boolean closeAfterFlush;
  }

  private TcpEndpointServer(String ip, String name) throws IOException {
    this.name = name;
    this.selector = Selector.open();
    this.server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(ip, 0), 4096);
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
    this.thread = new Thread(this::run, "endpoint-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Starts a server named {@code name} on {@code ip} (a 127.0.0.x address), ephemeral port. */
  static TcpEndpointServer start(String ip, String name) throws IOException {
    return new TcpEndpointServer(ip, name);
  }

  String name() {
    return name;
  }

  InetSocketAddress address() {
    try {
      return (InetSocketAddress) server.getLocalAddress();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  ServiceEndpoint endpoint() {
    InetSocketAddress a = address();
    return new ServiceEndpoint(IpAddress.of(a.getAddress()), a.getPort(), false, false);
  }

  int accepted() {
    return accepted.get();
  }

  int openConnections() {
    return open.size();
  }

  private void run() {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    while (running) {
      try {
        selector.select(this::handle, 100);
      } catch (IOException | RuntimeException e) {
        if (running) {
          e.printStackTrace();
        }
      }
    }
  }

  private void handle(SelectionKey key) {
    try {
      if (key.isAcceptable()) {
        SocketChannel c;
        while ((c = server.accept()) != null) {
          c.configureBlocking(false);
          Conn conn = new Conn();
          conn.out.add(ByteBuffer.wrap((name + "\n").getBytes(StandardCharsets.UTF_8)));
          c.register(selector, SelectionKey.OP_WRITE, conn);
          accepted.incrementAndGet();
          open.add(c);
        }
        return;
      }
      SocketChannel c = (SocketChannel) key.channel();
      Conn conn = (Conn) key.attachment();
      if (key.isReadable()) {
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        int n = c.read(buf);
        if (n < 0) {
          conn.out.add(ByteBuffer.wrap("eof\n".getBytes(StandardCharsets.UTF_8)));
          conn.closeAfterFlush = true;
        } else if (n > 0) {
          buf.flip();
          conn.out.add(buf);
        }
      }
      if (key.isValid() && !conn.out.isEmpty()) {
        while (!conn.out.isEmpty()) {
          ByteBuffer head = conn.out.peek();
          c.write(head);
          if (head.hasRemaining()) {
            break;
          }
          conn.out.poll();
        }
      }
      if (conn.out.isEmpty() && conn.closeAfterFlush) {
        open.remove(c);
        c.close();
        return;
      }
      key.interestOps(conn.out.isEmpty() ? SelectionKey.OP_READ : SelectionKey.OP_WRITE);
    } catch (IOException e) {
      open.remove(key.channel());
      key.cancel();
      try {
        key.channel().close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  @Override
  public void close() throws IOException {
    running = false;
    selector.wakeup();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (SocketChannel c : open) {
      c.close();
    }
    server.close();
    selector.close();
  }
}
