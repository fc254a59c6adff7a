package dev.kubeproxy.userspace;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP listener. Forwarding, it accepts and hands each connection to a {@link TcpSplice} on
 * the next selector thread. REJECT keeps the port bound by a socket that never listens, so the
 * kernel answers a SYN with a reset and the client's connect is refused at once. DROP listens
 * with the smallest backlog and fills that backlog with two connections of its own, so the
 * kernel drops further SYNs unanswered and the client's connect times out.
 */
final class TcpListener extends Listener implements EventLoop.Handler {
  private static final Logger log = LoggerFactory.getLogger(TcpListener.class);
  private static final int BACKLOG = 4096;
  private static final int ACCEPTS_PER_WAKEUP = 64;

  private ServerSocketChannel server;
  private SocketChannel reserved;
  private final List<SocketChannel> fillers = new ArrayList<>();
  private final Set<TcpSplice> live = ConcurrentHashMap.newKeySet();

  TcpListener(
      ListenerSpec spec, Loops loops, UserspaceConfig config, EndpointPicker picker, PortCounters counters) {
    super(spec, loops, config, picker, counters);
  }

  @Override
  int switchTo(Mode mode, InetSocketAddress at) throws IOException {
    closeSockets();
    loop.flushClosed();
    switch (mode) {
      case FORWARD -> {
        server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(at, BACKLOG);
        server.configureBlocking(false);
        loop.register(server, SelectionKey.OP_ACCEPT, this);
        return server.socket().getLocalPort();
      }
      case DROP -> {
        server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(at, 1);
        InetSocketAddress target = reachable((InetSocketAddress) server.getLocalAddress());
        // Linux queues backlog + 1 connections; once they wait, new SYNs go unanswered.
        for (int i = 0; i < 2; i++) {
          fillers.add(SocketChannel.open(target));
        }
        return server.socket().getLocalPort();
      }
      case REJECT -> {
        reserved = SocketChannel.open();
        reserved.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        reserved.bind(at);
        return reserved.socket().getLocalPort();
      }
      default -> throw new AssertionError(mode);
    }
  }

  @Override
  public void ready(SelectionKey key) {
    for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (IOException e) {
        log.warn("{}: accept failed: {}", spec, e.toString());
        return;
      }
      if (client == null) {
        return;
      }
      EventLoop target = loops.next();
      TcpSplice splice = new TcpSplice(this, target, client);
      live.add(splice);
      counters.opened();
      if (target.inLoop()) {
        splice.start(); // no cross-thread hand-off when the accepting loop serves it
      } else {
        target.execute(splice::start);
      }
    }
  }

  @Override
  public void failed(Throwable error) {
    log.warn("{}: listener error", spec, error);
  }

  /** Called by a splice when it closed, once. */
  void closed(TcpSplice splice) {
    if (live.remove(splice)) {
      counters.closed();
    }
  }

  @Override
  void closeAll() {
    closeSockets();
    for (TcpSplice splice : live) {
      splice.loop().execute(splice::abort);
    }
  }

  private void closeSockets() {
    closeQuietly(server);
    closeQuietly(reserved);
    fillers.forEach(TcpListener::closeQuietly);
    fillers.clear();
    server = null;
    reserved = null;
  }

  static void closeQuietly(java.nio.channels.Channel c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (IOException e) {
      log.debug("close", e);
    }
  }
}
