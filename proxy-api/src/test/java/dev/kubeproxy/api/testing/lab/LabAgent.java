package dev.kubeproxy.api.testing.lab;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The process {@link NetnsLab} runs inside each lab namespace ({@code ip netns exec NS java ...
 * LabAgent NAME}): it serves TCP and UDP ports answering {@code NAME SOURCE-IP}, and makes client
 * requests from its namespace. It uses the JDK only, so its classpath is just its own location.
 *
 * <p>Protocol: one command per stdin line, one answer per stdout line. {@code serve tcp|udp PORT}
 * and {@code unserve tcp|udp PORT} answer {@code ok} or {@code err MESSAGE}; {@code tcp|udp SRC
 * SRCPORT DST PORT TIMEOUT_MS COUNT} (SRC {@code -} for the kernel's choice) answers COUNT results
 * separated by tabs, each {@code OUTCOME|TEXT} (a failure's text names its source port and start
 * time, see {@link #failure(IOException, InetAddress, int, long)}). The agent exits when stdin
 * closes, so it never outlives the JVM that started it.
 */
public final class LabAgent {
  static final String READY = "ready";

  private final String name;
  private final Map<String, AutoCloseable> listeners = new HashMap<>();
  private final Map<String, Thread> loops = new HashMap<>();

  private LabAgent(String name) {
    this.name = name;
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: LabAgent NAME");
      System.exit(2);
    }
    LabAgent agent = new LabAgent(args[0]);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    out.println(READY);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      String answer;
      try {
        answer = agent.handle(line.trim().split(" "));
      } catch (RuntimeException | IOException e) {
        answer = "err " + oneLine(String.valueOf(e));
      }
      out.println(answer);
    }
    System.exit(0);
  }

  private String handle(String[] words) throws IOException {
    switch (words[0]) {
      case "serve":
        return serve(words[1], Integer.parseInt(words[2]));
      case "unserve":
        String key = words[1] + "/" + words[2];
        AutoCloseable listener = listeners.remove(key);
        closeQuietly(listener);
        // Answer only once the old socket is really gone, so a new serve cannot race with it.
        awaitQuietly(loops.remove(key));
        return listener == null ? "err not serving " + key : "ok";
      case "tcp":
      case "udp":
        InetAddress source = words[1].equals("-") ? null : InetAddress.getByName(words[1]);
        int sourcePort = Integer.parseInt(words[2]);
        InetSocketAddress destination =
            new InetSocketAddress(InetAddress.getByName(words[3]), Integer.parseInt(words[4]));
        int timeoutMillis = Integer.parseInt(words[5]);
        int count = Integer.parseInt(words[6]);
        List<String> results = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          results.add(
              words[0].equals("tcp")
                  ? tcpRequest(source, sourcePort, destination, timeoutMillis)
                  : udpRequest(source, sourcePort, destination, timeoutMillis));
        }
        return String.join("\t", results);
      default:
        return "err unknown command " + words[0];
    }
  }

  private String serve(String protocol, int port) throws IOException {
    String key = protocol + "/" + port;
    if (listeners.containsKey(key)) {
      return "ok";
    }
    // Wildcard sockets are dual-stack: one listener answers IPv4 and IPv6 clients.
    if (protocol.equals("tcp")) {
      ServerSocket server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(port), 128);
      listeners.put(key, server);
      loops.put(key, daemon("tcp-" + port, () -> acceptLoop(server)));
    } else if (protocol.equals("udp")) {
      DatagramSocket socket = new DatagramSocket(null);
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(port));
      listeners.put(key, socket);
      loops.put(key, daemon("udp-" + port, () -> datagramLoop(socket)));
    } else {
      return "err unknown protocol " + protocol;
    }
    return "ok";
  }

  private void acceptLoop(ServerSocket server) {
    while (!server.isClosed()) {
      try (Socket connection = server.accept()) {
        OutputStream stream = connection.getOutputStream();
        stream.write(answer(connection.getInetAddress()));
        stream.flush();
      } catch (IOException e) {
        // Closed by unserve, or one client vanished early: either way keep no state.
      }
    }
  }

  private void datagramLoop(DatagramSocket socket) {
    byte[] buffer = new byte[2048];
    while (!socket.isClosed()) {
      try {
        DatagramPacket request = new DatagramPacket(buffer, buffer.length);
        socket.receive(request);
        byte[] reply = answer(request.getAddress());
        socket.send(new DatagramPacket(reply, reply.length, request.getSocketAddress()));
      } catch (IOException e) {
        // Closed by unserve, or an ICMP error for an earlier reply: keep serving.
      }
    }
  }

  private byte[] answer(InetAddress peer) {
    return (name + " " + peer.getHostAddress() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private static String tcpRequest(
      InetAddress source, int sourcePort, InetSocketAddress destination, int timeoutMillis) {
    long started = System.currentTimeMillis();
    if (source == null && sourcePort == 0) {
      return tcpRequestFromAnyPort(destination, timeoutMillis, started);
    }
    Socket socket = new Socket();
    try (socket) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(source, sourcePort));
      socket.connect(destination, timeoutMillis);
      socket.setSoTimeout(timeoutMillis);
      return "ANSWERED|" + oneLine(readAll(socket.getInputStream()));
    } catch (IOException e) {
      return failure(e, source, socket.getLocalPort(), started);
    }
  }

  /**
   * A TCP request from the port the kernel's connect picks, as for any client (not bound first:
   * bind's allocator differs from connect's, which reuses ports towards other destinations). The
   * JDK reports no local port before a connect completes and closes the socket when it fails, so
   * the port is read with getsockname as soon as the connect is under way.
   */
  private static String tcpRequestFromAnyPort(
      InetSocketAddress destination, int timeoutMillis, long started) {
    int localPort = -1;
    try (SocketChannel channel = SocketChannel.open();
        Selector selector = Selector.open()) {
      channel.configureBlocking(false);
      if (!channel.connect(destination)) {
        localPort = localPortOf(channel);
        SelectionKey key = channel.register(selector, SelectionKey.OP_CONNECT);
        if (selector.select(timeoutMillis) == 0) {
          throw new SocketTimeoutException("Connect timed out");
        }
        channel.finishConnect();
        // A channel registered with a selector cannot go back to blocking mode.
        key.cancel();
        selector.selectNow();
      }
      channel.configureBlocking(true);
      Socket socket = channel.socket();
      socket.setSoTimeout(timeoutMillis);
      return "ANSWERED|" + oneLine(readAll(socket.getInputStream()));
    } catch (IOException e) {
      return failure(e, null, localPort, started);
    }
  }

  /**
   * The kernel's local port of a channel whose connect is under way (getsockname through the
   * JDK's own {@code sun.nio.ch.Net}; the agent runs with {@code --add-opens
   * java.base/sun.nio.ch}), or -1 if that is not reachable.
   */
  static int localPortOf(SocketChannel channel) {
    try {
      Field fd = channel.getClass().getDeclaredField("fd");
      fd.setAccessible(true);
      Method localAddress = Class.forName("sun.nio.ch.Net")
          .getDeclaredMethod("localAddress", FileDescriptor.class);
      localAddress.setAccessible(true);
      return ((InetSocketAddress) localAddress.invoke(null, fd.get(channel))).getPort();
    } catch (ReflectiveOperationException | RuntimeException e) {
      return -1;
    }
  }

  private static String udpRequest(
      InetAddress source, int sourcePort, InetSocketAddress destination, int timeoutMillis) {
    long started = System.currentTimeMillis();
    int localPort = -1;
    try (DatagramSocket socket = new DatagramSocket(null)) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(source, sourcePort));
      localPort = socket.getLocalPort();
      // Connected, so the kernel reports ICMP errors (port unreachable -> refused) to us.
      socket.connect(destination);
      socket.setSoTimeout(timeoutMillis);
      byte[] request = "?".getBytes(StandardCharsets.UTF_8);
      socket.send(new DatagramPacket(request, request.length));
      byte[] buffer = new byte[2048];
      DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
      socket.receive(reply);
      return "ANSWERED|"
          + oneLine(new String(buffer, 0, reply.getLength(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      return failure(e, source, localPort, started);
    }
  }

  /**
   * A failed request's {@code OUTCOME|TEXT}, the text ending in {@code src=ADDRESS:PORT} (address
   * {@code *} when the kernel chose it, port {@code ?} when unknown), {@code at=HH:mm:ss.SSS}
   * (UTC wall clock when the request started), {@code took=MSms} and {@code t=EPOCH_MS} (the
   * start again, for machines), so it can be matched with conntrack events and packet captures.
   */
  static String failure(IOException e, InetAddress source, int localPort, long startedMillis) {
    long took = System.currentTimeMillis() - startedMillis;
    return failure(e)
        + " src=" + (source == null ? "*" : source.getHostAddress())
        + ":" + (localPort > 0 ? String.valueOf(localPort) : "?")
        + " at=" + utcTimeOfDay(startedMillis)
        + " took=" + took + "ms"
        + " t=" + startedMillis;
  }

  /** {@code HH:mm:ss.SSS} of an epoch time in UTC (no java.time: the agent starts lean). */
  static String utcTimeOfDay(long epochMillis) {
    long ms = Math.floorMod(epochMillis, 86_400_000L);
    return String.format(
        Locale.ROOT, "%02d:%02d:%02d.%03d",
        ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
  }

  /** Names a failed request's outcome from the exception the JDK maps the errno to. */
  static String failure(IOException e) {
    String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    String outcome;
    if (e instanceof SocketTimeoutException) {
      outcome = "TIMEOUT";
    } else if (e instanceof PortUnreachableException || message.contains("refused")) {
      outcome = "REFUSED";
    } else if (e instanceof NoRouteToHostException
        || message.contains("unreachable")
        || message.contains("no route")) {
      outcome = "UNREACHABLE";
    } else if (e instanceof SocketException && message.contains("reset")) {
      outcome = "RESET";
    } else {
      outcome = "ERROR";
    }
    return outcome + "|" + oneLine(e.toString());
  }

  private static String readAll(InputStream in) throws IOException {
    byte[] bytes = in.readNBytes(4096);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static String oneLine(String text) {
    return text.strip().replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
  }

  private static Thread daemon(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static void awaitQuietly(Thread thread) {
    if (thread == null) {
      return;
    }
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      // Nothing to do: the socket is gone either way.
    }
  }
}
