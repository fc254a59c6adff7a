package dev.kubeproxy.userspace;

import dev.kubeproxy.api.ServiceEndpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection carried to an endpoint. It dials endpoints in turn with the configured
 * growing timeouts (a failure moves to the next endpoint, ignoring affinity) and resets the
 * client when every attempt failed. Connected, it copies both directions through the loop's
 * scratch buffer; what the receiver cannot take yet is parked in at most one buffer per
 * direction, and the sender is not read again until it drained (backpressure). An end of
 * stream is passed on as a half-close; an error resets both sides. Loop thread only.
 */
final class TcpSplice {
  private static final Logger log = LoggerFactory.getLogger(TcpSplice.class);

  private final TcpListener listener;
  private final EventLoop loop;
  private final SocketChannel client;
  private SocketChannel upstream;
  private SelectionKey clientKey;
  private SelectionKey upstreamKey;
  private InetAddress clientIp;
  private int attempt;
  private EventLoop.Timer dialTimer;
  private ServiceEndpoint endpoint;
  private boolean spliced;
  private boolean closed;
  private final Pipe toUpstream = new Pipe(true);
  private final Pipe toClient = new Pipe(false);

  TcpSplice(TcpListener listener, EventLoop loop, SocketChannel client) {
    this.listener = listener;
    this.loop = loop;
    this.client = client;
  }

  EventLoop loop() {
    return loop;
  }

  void start() {
    if (closed) {
      return;
    }
    try {
      client.configureBlocking(false);
      client.setOption(StandardSocketOptions.TCP_NODELAY, true);
      clientIp = ((InetSocketAddress) client.getRemoteAddress()).getAddress();
      clientKey = loop.register(client, 0, new Side(true));
    } catch (IOException e) {
      abort();
      return;
    }
    dial();
  }

  private void dial() {
    ServiceEndpoint candidate = listener.picker.pick(clientIp, attempt > 0);
    if (candidate == null) {
      abort();
      return;
    }
    Duration timeout = listener.config.dialTimeouts().get(attempt);
    try {
      upstream = SocketChannel.open();
      upstream.configureBlocking(false);
      upstream.setOption(StandardSocketOptions.TCP_NODELAY, true);
      boolean done =
          upstream.connect(new InetSocketAddress(candidate.address().toInetAddress(), candidate.port()));
      upstreamKey = loop.register(upstream, done ? 0 : SelectionKey.OP_CONNECT, new Side(false));
      endpoint = candidate;
      if (done) {
        connected();
      } else {
        dialTimer = loop.schedule(timeout.toNanos(), this::dialTimedOut);
      }
    } catch (IOException e) {
      dialFailed();
    }
  }

  private void finishDial() {
    try {
      if (upstream.finishConnect()) {
        if (dialTimer != null) {
          dialTimer.cancel();
          dialTimer = null;
        }
        connected();
      }
    } catch (IOException e) {
      dialFailed();
    }
  }

  /**
   * The dial timer fired. The loop may have been too busy to see the connect complete, so a
   * connection the kernel finished in time still counts as a success.
   */
  private void dialTimedOut() {
    if (closed || upstream == null) {
      return;
    }
    try {
      if (upstream.finishConnect()) {
        dialTimer = null;
        connected();
        return;
      }
    } catch (IOException e) {
      // refused or unreachable after all: a failed dial like the timeout
    }
    dialFailed();
  }

  private void dialFailed() {
    if (closed) {
      return;
    }
    if (dialTimer != null) {
      dialTimer.cancel();
      dialTimer = null;
    }
    log.debug("{}: dial to {} failed (attempt {})", listener.spec, endpoint, attempt + 1);
    TcpListener.closeQuietly(upstream);
    upstream = null;
    upstreamKey = null;
    endpoint = null;
    listener.counters.dialFailed();
    attempt++;
    if (attempt < listener.config.dialTimeouts().size()) {
      listener.counters.retried();
      dial();
    } else {
      abort();
    }
  }

  private void connected() {
    spliced = true;
    updateInterest();
  }

  private void updateInterest() {
    if (closed) {
      return;
    }
    if (toUpstream.shut && toClient.shut) {
      close();
      return;
    }
    clientKey.interestOps(
        (toUpstream.wantsRead() ? SelectionKey.OP_READ : 0)
            | (toClient.wantsWrite() ? SelectionKey.OP_WRITE : 0));
    upstreamKey.interestOps(
        (toClient.wantsRead() ? SelectionKey.OP_READ : 0)
            | (toUpstream.wantsWrite() ? SelectionKey.OP_WRITE : 0));
  }

  /** Closes both sides normally (both directions ended). */
  private void close() {
    if (closed) {
      return;
    }
    closed = true;
    TcpListener.closeQuietly(client);
    TcpListener.closeQuietly(upstream);
    listener.closed(this);
  }

  /** Resets both sides (SO_LINGER 0): the client sees a reset, never a hang. */
  void abort() {
    if (closed) {
      return;
    }
    closed = true;
    if (dialTimer != null) {
      dialTimer.cancel();
    }
    reset(client);
    reset(upstream);
    listener.closed(this);
  }

  private static void reset(SocketChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      if (channel.isOpen()) {
        channel.setOption(StandardSocketOptions.SO_LINGER, 0);
      }
    } catch (IOException e) {
      log.trace("linger", e);
    }
    TcpListener.closeQuietly(channel);
  }

  /** The selection handler of one side. */
  private final class Side implements EventLoop.Handler {
    private final boolean clientSide;

    Side(boolean clientSide) {
      this.clientSide = clientSide;
    }

    @Override
    public void ready(SelectionKey key) {
      if (closed) {
        return;
      }
      if (!clientSide && !spliced) {
        if (key.isConnectable()) {
          finishDial();
        }
        return;
      }
      try {
        Pipe reading = clientSide ? toUpstream : toClient;
        Pipe writing = clientSide ? toClient : toUpstream;
        if (key.isWritable()) {
          writing.writable();
        }
        if (key.isValid() && key.isReadable()) {
          reading.readable();
        }
        updateInterest();
      } catch (IOException e) {
        abort();
      }
    }

    @Override
    public void failed(Throwable error) {
      abort();
    }
  }

  /** One direction: reads one side, writes the other, parks at most one buffer in between. */
  private final class Pipe {
    private final boolean clientToUpstream;
    private ByteBuffer pending;
    private boolean eof;
    private boolean shut;

    Pipe(boolean clientToUpstream) {
      this.clientToUpstream = clientToUpstream;
    }

    private SocketChannel from() {
      return clientToUpstream ? client : upstream;
    }

    private SocketChannel to() {
      return clientToUpstream ? upstream : client;
    }

    boolean wantsRead() {
      return !eof && pending == null;
    }

    boolean wantsWrite() {
      return pending != null;
    }

    void readable() throws IOException {
      if (!wantsRead()) {
        return;
      }
      ByteBuffer buf = loop.scratch();
      int n = from().read(buf);
      if (n < 0) {
        eof = true;
        if (pending == null) {
          shutOutput();
        }
        return;
      }
      if (n == 0) {
        return;
      }
      if (clientToUpstream) {
        listener.counters.bytesIn(n);
      } else {
        listener.counters.bytesOut(n);
      }
      buf.flip();
      to().write(buf);
      if (buf.hasRemaining()) {
        pending = ByteBuffer.allocate(buf.remaining());
        pending.put(buf).flip();
      }
    }

    void writable() throws IOException {
      if (pending == null) {
        return;
      }
      to().write(pending);
      if (!pending.hasRemaining()) {
        pending = null;
        if (eof) {
          shutOutput();
        }
      }
    }

    private void shutOutput() throws IOException {
      shut = true;
      to().shutdownOutput();
    }
  }
}
