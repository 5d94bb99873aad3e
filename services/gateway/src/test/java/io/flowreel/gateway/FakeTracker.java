package io.flowreel.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A stand-in for the tracker service: a small HTTP server answering the routes the gateway's
 * TrackerClient calls ({@code /tracker/jobs/{id}}, {@code /tracker/batches/{id}},
 * {@code /tracker/batches/{id}/jobs}, {@code /q/health/ready}) with the JSON a test gives it. The
 * JSON is written out in the tests as the tracker sends it, so these tests also pin the wire format
 * between the two services. Unprogrammed paths answer 404, as the tracker does for unknown ids.
 */
public final class FakeTracker implements AutoCloseable {

  /** One answer: an HTTP status and a JSON body (or plain text for errors). */
  public record Reply(int status, String body) {
    static Reply json(String body) {
      return new Reply(200, body);
    }
  }

  private final HttpServer server;
  private final Map<String, Reply> exact = new ConcurrentHashMap<>();
  private final Map<String, Function<String, Reply>> prefixes = new ConcurrentHashMap<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();

  FakeTracker() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the fake tracker's port", e);
    }
    server.createContext("/", this::handle);
    server.start();
    reset();
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Answers {@code path} (query string included, if the gateway sends one) with {@code reply}. */
  public void answer(String path, Reply reply) {
    exact.put(path, reply);
  }

  /** Answers every path under {@code prefix} (that has no exact answer) with {@code reply(rest of path)}. */
  public void answerUnder(String prefix, Function<String, Reply> reply) {
    prefixes.put(prefix, reply);
  }

  /** Forgets every answer and request: a ready tracker that knows nothing. */
  public void reset() {
    exact.clear();
    prefixes.clear();
    requests.clear();
    answer("/q/health/ready", Reply.json("{\"status\": \"UP\", \"checks\": []}"));
  }

  /** The paths asked so far (with their query strings), in order. */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  private void handle(HttpExchange exchange) throws IOException {
    URI uri = exchange.getRequestURI();
    String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    requests.add(path);
    Reply reply = exact.get(path);
    if (reply == null) {
      reply = prefixes.entrySet().stream().filter(e -> path.startsWith(e.getKey())).findFirst()
          .map(e -> e.getValue().apply(path.substring(e.getKey().length())))
          .orElse(new Reply(404, "no such resource in the fake tracker: " + path));
    }
    byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type",
        reply.body().startsWith("{") || reply.body().startsWith("[") ? "application/json" : "text/plain");
    exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
