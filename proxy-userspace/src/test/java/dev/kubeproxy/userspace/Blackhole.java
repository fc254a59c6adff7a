package dev.kubeproxy.userspace;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.ServiceEndpoint;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A TCP address on loopback that leaves SYNs unanswered: a listener whose backlog is full and
 * never accepted, so dials to it time out (the loopback stand-in for an unreachable endpoint).
 */
final class Blackhole implements AutoCloseable {
  private final ServerSocketChannel server;
  private final SocketChannel[] fillers = new SocketChannel[2];

  Blackhole(String ip) throws IOException {
    server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(ip, 0), 1);
    for (int i = 0; i < fillers.length; i++) {
      fillers[i] = SocketChannel.open(server.getLocalAddress());
    }
  }

  ServiceEndpoint endpoint() throws IOException {
    InetSocketAddress a = (InetSocketAddress) server.getLocalAddress();
    return new ServiceEndpoint(IpAddress.of(a.getAddress()), a.getPort(), false, false);
  }

  @Override
  public void close() throws IOException {
    for (SocketChannel f : fillers) {
      f.close();
    }
    server.close();
  }
}
