package dev.kubeproxy.userspace;

import dev.kubeproxy.api.ServiceEndpoint;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A UDP listener. Forwarding, each client address gets a session: a socket connected to the
 * endpoint chosen for it, whose replies go back through the listener's own socket (so they come
 * from the service address); a session closes after the idle timeout or when its endpoint
 * refuses (ICMP port unreachable), and the client's next datagram picks again; at the session
 * limit, datagrams of new clients are dropped. DROP keeps the
 * socket and discards new clients' datagrams. REJECT closes the socket so the kernel answers
 * with ICMP port unreachable; the port is bound again when endpoints return. Loop thread only.
 */
final class UdpListener extends Listener implements EventLoop.Handler {
  private static final Logger log = LoggerFactory.getLogger(UdpListener.class);
  private static final int DATAGRAMS_PER_WAKEUP = 64;

  private DatagramChannel socket;
  private Mode mode;
  private final Map<SocketAddress, Session> sessions = new HashMap<>();

  UdpListener(
      ListenerSpec spec, Loops loops, UserspaceConfig config, EndpointPicker picker, PortCounters counters) {
    super(spec, loops, config, picker, counters);
  }

  @Override
  int switchTo(Mode newMode, InetSocketAddress at) throws IOException {
    this.mode = newMode;
    if (newMode == Mode.REJECT) {
      closeSessions();
      TcpListener.closeQuietly(socket);
      socket = null;
      loop.flushClosed();
      return at.getPort() != 0 ? at.getPort() : pickPort(at);
    }
    if (socket == null) {
      // No SO_REUSEADDR: for UDP it would let another socket bind the same port beside ours.
      socket = DatagramChannel.open(familyOf(at));
      socket.bind(at);
      socket.configureBlocking(false);
      loop.register(socket, SelectionKey.OP_READ, this);
    }
    return ((InetSocketAddress) socket.getLocalAddress()).getPort();
  }

  /** An ephemeral port for a listener that starts rejecting, so it has an address to report. */
  private static int pickPort(InetSocketAddress at) throws IOException {
    try (DatagramChannel probe = DatagramChannel.open(familyOf(at))) {
      probe.bind(at);
      return ((InetSocketAddress) probe.getLocalAddress()).getPort();
    }
  }

  private static java.net.ProtocolFamily familyOf(InetSocketAddress at) {
    return at.getAddress().getAddress().length == 4
        ? java.net.StandardProtocolFamily.INET
        : java.net.StandardProtocolFamily.INET6;
  }

  @Override
  public void ready(SelectionKey key) {
    for (int i = 0; i < DATAGRAMS_PER_WAKEUP && socket != null; i++) {
      ByteBuffer buf = loop.scratch();
      SocketAddress from;
      try {
        from = socket.receive(buf);
      } catch (IOException e) {
        log.debug("{}: receive failed: {}", spec, e.toString());
        return;
      }
      if (from == null) {
        return;
      }
      buf.flip();
      Session session = sessions.get(from);
      if (session == null) {
        if (mode != Mode.FORWARD || sessions.size() >= config.udpSessionLimit()) {
          continue;
        }
        session = open((InetSocketAddress) from);
        if (session == null) {
          continue;
        }
      }
      session.send(buf);
    }
  }

  private Session open(InetSocketAddress client) {
    ServiceEndpoint endpoint = picker.pick(client.getAddress(), false);
    if (endpoint == null) {
      return null;
    }
    Session session = new Session(client, endpoint);
    try {
      session.channel = DatagramChannel.open(familyOf(client));
      session.channel.configureBlocking(false);
      session.channel.connect(new InetSocketAddress(endpoint.address().toInetAddress(), endpoint.port()));
      session.key = loop.register(session.channel, SelectionKey.OP_READ, session);
    } catch (IOException e) {
      log.debug("{}: session to {} failed: {}", spec, endpoint, e.toString());
      TcpListener.closeQuietly(session.channel);
      counters.dialFailed();
      return null;
    }
    sessions.put(client, session);
    counters.opened();
    session.touch();
    session.idleTimer = loop.schedule(config.udpIdleTimeout().toNanos(), session::checkIdle);
    return session;
  }

  @Override
  public void failed(Throwable error) {
    log.warn("{}: listener error", spec, error);
  }

  @Override
  void closeAll() {
    closeSessions();
    TcpListener.closeQuietly(socket);
    socket = null;
  }

  private void closeSessions() {
    for (Session s : sessions.values().toArray(new Session[0])) {
      s.close();
    }
  }

  /** One client's flow to its endpoint. */
  private final class Session implements EventLoop.Handler {
    private final InetSocketAddress client;
    private final ServiceEndpoint endpoint;
    private DatagramChannel channel;
    private SelectionKey key;
    private long lastActive;
    private EventLoop.Timer idleTimer;
    private boolean closed;

    Session(InetSocketAddress client, ServiceEndpoint endpoint) {
      this.client = client;
      this.endpoint = endpoint;
    }

    void touch() {
      lastActive = System.nanoTime();
    }

    void send(ByteBuffer datagram) {
      try {
        counters.bytesIn(datagram.remaining());
        channel.write(datagram);
        touch();
      } catch (IOException e) {
        // PortUnreachableException: the endpoint refused an earlier datagram.
        log.debug("{}: {} refused: {}", spec, endpoint, e.toString());
        counters.dialFailed();
        close();
      }
    }

    @Override
    public void ready(SelectionKey k) {
      for (int i = 0; i < DATAGRAMS_PER_WAKEUP && !closed; i++) {
        ByteBuffer buf = loop.scratch();
        int n;
        try {
          n = channel.read(buf);
        } catch (IOException e) {
          log.debug("{}: {} refused: {}", spec, endpoint, e.toString());
          counters.dialFailed();
          close();
          return;
        }
        if (n <= 0) {
          return;
        }
        buf.flip();
        touch();
        counters.bytesOut(n);
        try {
          if (socket != null) {
            socket.send(buf, client);
          }
        } catch (IOException e) {
          log.debug("{}: reply to {} failed: {}", spec, client, e.toString());
        }
      }
    }

    void checkIdle() {
      if (closed) {
        return;
      }
      long idleFor = System.nanoTime() - lastActive;
      long limit = config.udpIdleTimeout().toNanos();
      if (idleFor >= limit) {
        close();
      } else {
        idleTimer = loop.schedule(limit - idleFor, this::checkIdle);
      }
    }

    @Override
    public void failed(Throwable error) {
      close();
    }

    void close() {
      if (closed) {
        return;
      }
      closed = true;
      if (idleTimer != null) {
        idleTimer.cancel();
      }
      TcpListener.closeQuietly(channel);
      sessions.remove(client);
      counters.closed();
    }
  }
}
