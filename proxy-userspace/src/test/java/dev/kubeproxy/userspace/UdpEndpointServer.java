package dev.kubeproxy.userspace;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.ServiceEndpoint;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback UDP endpoint for tests: answers each datagram with {@code name:payload} and
 * remembers the source addresses it saw.
 */
final class UdpEndpointServer implements AutoCloseable {
  private final String name;
  private final DatagramSocket socket;
  private final Thread thread;
  private final Set<SocketAddress> sources = ConcurrentHashMap.newKeySet();

  private UdpEndpointServer(String ip, String name) throws IOException {
    this.name = name;
    this.socket = new DatagramSocket(new InetSocketAddress(ip, 0));
    this.thread = new Thread(this::run, "udp-endpoint-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  static UdpEndpointServer start(String ip, String name) throws IOException {
    return new UdpEndpointServer(ip, name);
  }

  InetSocketAddress address() {
    return (InetSocketAddress) socket.getLocalSocketAddress();
  }

  ServiceEndpoint endpoint() {
    InetSocketAddress a = address();
    return new ServiceEndpoint(IpAddress.of(a.getAddress()), a.getPort(), false, false);
  }

  Set<SocketAddress> sources() {
    return sources;
  }

  private void run() {
    byte[] buf = new byte[65535];
    while (!socket.isClosed()) {
      try {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        socket.receive(p);
        sources.add(p.getSocketAddress());
        String payload = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
        byte[] reply = (name + ":" + payload).getBytes(StandardCharsets.UTF_8);
        socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
      } catch (SocketException e) {
        return;
      } catch (IOException e) {
        e.printStackTrace();
      }
    }
  }

  @Override
  public void close() {
    socket.close();
  }
}
