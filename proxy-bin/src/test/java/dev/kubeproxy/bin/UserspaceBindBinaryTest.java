package dev.kubeproxy.bin;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --userspace-bind 127.0.0.1}: the binary, as a child JVM in the machine's own namespace
 * with no privileges and no kernel tool, runs the userspace proxy embedded on loopback in its
 * sync loop; the test reads the Service's local address from {@code /userspace/addresses},
 * connects through it to an endpoint server on 127.0.0.2, and sees the connection counted in
 * {@code kubeproxy_userspace_*}. Loopback only.
 */
class UserspaceBindBinaryTest {
  private static final Pattern ADDRESS = Pattern.compile("\"addresses\":\\[\"127\\.0\\.0\\.1:(\\d+)\"");
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path tmp;
  private Process child;
  private ServerSocket endpoint;
  private Thread endpointThread;

  @AfterEach
  void stop() throws Exception {
    if (child != null) {
      child.destroy();
      if (!child.waitFor(10, TimeUnit.SECONDS)) {
        child.destroyForcibly();
      }
    }
    if (endpoint != null) {
      endpoint.close();
      endpointThread.join(5000);
    }
  }

  @Test
  void theSyncLoopCarriesAConnectionToTheServiceAndCountsIt() throws Exception {
    int endpointPort = startEndpoint("web-1");
    Path manifests = Files.createDirectory(tmp.resolve("manifests"));
    Files.writeString(manifests.resolve("web.yaml"), web(endpointPort));
    int metricsPort = freePort();

    child = startBinary(List.of(
        "--userspace-bind", "127.0.0.1",
        "--manifests", manifests.toString(),
        "--hostname-override", "node-1",
        "--node-ip", "192.0.2.1",
        "--healthz-bind-address", "",
        "--metrics-bind-address", "127.0.0.1:" + metricsPort));

    String json = awaitAddresses(metricsPort);
    Matcher m = ADDRESS.matcher(json);
    assertThat(m.find()).as("addresses %s", json).isTrue();
    assertThat(json).contains("\"namespace\":\"default\",\"name\":\"web\",\"port\":\"http\",\"protocol\":\"TCP\"");
    String greeting;
    try (Socket s = new Socket("127.0.0.1", Integer.parseInt(m.group(1)))) {
      greeting = new BufferedReader(new InputStreamReader(s.getInputStream(), UTF_8)).readLine();
    }
    assertThat(greeting).isEqualTo("web-1");
    assertThat(get(metricsPort, "/proxyMode").body()).isEqualTo("userspace");
    String metrics = get(metricsPort, "/metrics").body();
    assertThat(metrics)
        .contains("kubeproxy_sync_proxy_rules_duration_seconds_count")
        .contains("kubeproxy_userspace_connections_total{namespace=\"default\",service=\"web\",port=\"http\",protocol=\"TCP\"} 1");
  }

  @Test
  void dryRunListsTheListenersItWouldOpen() throws Exception {
    child = startBinary(List.of(
        "--userspace-bind", "127.0.0.1", "--manifests", Path.of("../examples").toAbsolutePath().toString(),
        "--hostname-override", "node-1", "--dry-run"));
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(child.getInputStream().readAllBytes(), UTF_8);

    assertThat(child.exitValue()).as(out).isZero();
    assertThat(out).contains("open default/web:http/TCP INTERNAL on 127.0.0.1:0 -> 10.244.1.10:8080")
        .doesNotContain("nft");
  }

  @Test
  void aBadBindAddressIsAUsageError() throws Exception {
    child = startBinary(List.of("--userspace-bind", "localhost", "--manifests", tmp.toString()));
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(child.exitValue()).isEqualTo(2);
    assertThat(Files.readString(tmp.resolve("stderr.log")))
        .contains("--userspace-bind: 'localhost' is not an IP address");
  }

  private Process startBinary(List<String> args) throws IOException {
    List<String> argv = new ArrayList<>(LabBinary.javaCommand());
    argv.addAll(args);
    return new ProcessBuilder(argv)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectError(tmp.resolve("stderr.log").toFile())
        .start();
  }

  /** Polls /userspace/addresses (up to 30 s) until it lists a listener. */
  private String awaitAddresses(int metricsPort) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String last = "";
    while (System.nanoTime() < deadline && child.isAlive()) {
      try {
        HttpResponse<String> r = get(metricsPort, "/userspace/addresses");
        last = r.statusCode() + " " + r.body();
        if (r.statusCode() == 200 && ADDRESS.matcher(r.body()).find()) {
          return r.body();
        }
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no listener in /userspace/addresses (" + last + "); stderr: "
        + Files.readString(tmp.resolve("stderr.log")));
  }

  private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A server on 127.0.0.2 that greets each connection with {@code name} and closes it. */
  private int startEndpoint(String name) throws IOException {
    endpoint = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.2"));
    endpointThread = new Thread(() -> {
      while (!endpoint.isClosed()) {
        try (Socket s = endpoint.accept(); OutputStream out = s.getOutputStream()) {
          out.write((name + "\n").getBytes(UTF_8));
        } catch (IOException e) {
          // closed
        }
      }
    }, "endpoint-" + name);
    endpointThread.start();
    return endpoint.getLocalPort();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  private static String web(int port) {
    return LabBinary.service("web", "10.96.0.10")
        .port("http", "TCP", 80, port)
        .endpoint("127.0.0.2", "node-1", true)
        .yaml();
  }
}
