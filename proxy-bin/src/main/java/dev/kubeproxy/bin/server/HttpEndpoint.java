package dev.kubeproxy.bin.server;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One started JDK HTTP server that hands every request, whatever its path, to one handler on
 * its own daemon threads; closing it stops the server and frees the port.
 */
final class HttpEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpEndpoint.class);

  private final HttpServer server;
  private final ExecutorService executor;

  private HttpEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Binds {@code address} (port 0 picks a free port) and starts serving; throws if it cannot bind. */
  static HttpEndpoint start(InetSocketAddress address, String name, HttpHandler handler)
      throws IOException {
    HttpServer server = HttpServer.create(address, 0);
    // Request parsing runs on the executor, so a slow client cannot stall the other requests.
    ExecutorService executor = Executors.newCachedThreadPool(
        new ThreadFactoryBuilder().setNameFormat(name + "-%d").setDaemon(true).build());
    server.setExecutor(executor);
    server.createContext("/", exchange -> {
      try (exchange) {
        handler.handle(exchange);
      } catch (IOException | RuntimeException e) {
        log.debug("{}: {} {} failed", name, exchange.getRequestMethod(),
            exchange.getRequestURI(), e);
      }
    });
    server.start();
    return new HttpEndpoint(server, executor);
  }

  /** The address actually bound (with the chosen port when started with port 0). */
  InetSocketAddress address() {
    return server.getAddress();
  }

  /** Sends {@code body} with {@code status}, the content type and extra headers (no body for HEAD). */
  static void respond(HttpExchange exchange, int status, String contentType, String body,
      Map<String, String> headers) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    headers.forEach(exchange.getResponseHeaders()::set);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    if ("HEAD".equals(exchange.getRequestMethod())) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
