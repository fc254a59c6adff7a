package dev.kubeproxy.userspace;

import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.SessionAffinity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One bound socket of the proxy and the connections it accepted. Its socket depends on the
 * endpoint list: forwarding when it has endpoints, otherwise the list's REJECT or DROP
 * behaviour. Socket state lives on one {@link EventLoop}; the sync thread calls {@link #apply}
 * and {@link #close}, which wait for the loop.
 */
abstract class Listener {
  static final long CALL_TIMEOUT_MILLIS = 10_000;

  /** What the socket does. */
  enum Mode {
    FORWARD,
    REJECT,
    DROP;

    static Mode of(EndpointList list) {
      if (!list.isEmpty()) {
        return FORWARD;
      }
      return list.ifEmpty() == EmptyVerdict.REJECT ? REJECT : DROP;
    }
  }

  final ListenerSpec spec;
  final EventLoop loop;
  final Loops loops;
  final UserspaceConfig config;
  final EndpointPicker picker;
  final PortCounters counters;
  private volatile Mode mode;
  private volatile int boundPort;

  Listener(
      ListenerSpec spec, Loops loops, UserspaceConfig config, EndpointPicker picker, PortCounters counters) {
    this.spec = spec;
    this.loops = loops;
    this.loop = loops.forOwner(spec);
    this.config = config;
    this.picker = picker;
    this.counters = counters;
  }

  /** Takes the entry's endpoint list and affinity; rebinds the same port if the mode changed. */
  final void apply(EndpointList list, SessionAffinity affinity) throws IOException {
    picker.update(list.endpoints(), affinity);
    Mode wanted = Mode.of(list);
    if (wanted == mode) {
      return;
    }
    IOException failure =
        loop.call(
            () -> {
              if (wanted == mode) {
                return null;
              }
              try {
                boundPort = switchTo(wanted, bindTarget());
                mode = wanted;
                return null;
              } catch (IOException e) {
                mode = null;
                return e;
              }
            },
            CALL_TIMEOUT_MILLIS);
    if (failure != null) {
      throw new IOException(spec + ": " + failure.getMessage(), failure);
    }
  }

  /** Closes the socket and cuts every connection, waiting until they are closed. */
  final void close() {
    loop.call(
        () -> {
          closeAll();
          return null;
        },
        CALL_TIMEOUT_MILLIS);
    loops.barrier(CALL_TIMEOUT_MILLIS);
  }

  /** Whether a socket is bound (false before the first {@link #apply} and after a failed one). */
  final boolean bound() {
    return mode != null;
  }

  /** Where the socket is bound (the port chosen for an ephemeral request). */
  final InetSocketAddress localAddress() {
    return new InetSocketAddress(spec.bindAddress().toInetAddress(), boundPort);
  }

  /** The address to (re)bind: the port kept so far, or the requested one. */
  private InetSocketAddress bindTarget() {
    int port = boundPort != 0 ? boundPort : spec.port();
    return new InetSocketAddress(spec.bindAddress().toInetAddress(), port);
  }

  /** Where a client of this listener's own host can reach {@code bound} (wildcards: loopback). */
  static InetSocketAddress reachable(InetSocketAddress bound) {
    InetAddress a = bound.getAddress();
    if (!a.isAnyLocalAddress()) {
      return bound;
    }
    try {
      InetAddress loopback =
          a.getAddress().length == 4 ? InetAddress.getByName("127.0.0.1") : InetAddress.getByName("::1");
      return new InetSocketAddress(loopback, bound.getPort());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Replaces the socket by one for {@code mode} bound to {@code at}; returns the bound port. Loop only. */
  abstract int switchTo(Mode mode, InetSocketAddress at) throws IOException;

  /** Closes the socket and queues the cut of every connection on its loop. Loop only. */
  abstract void closeAll();
}
