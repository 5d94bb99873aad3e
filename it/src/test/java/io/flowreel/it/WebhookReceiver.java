package io.flowreel.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A studio's webhook endpoint, as a real HTTP server on a free port: it answers 503 to the first {@code failures}
 * tries of each delivery id, then 200, and keeps what it accepted.
 */
final class WebhookReceiver implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One accepted webhook. */
  record Hook(String path, String id, String signature, byte[] body, JsonNode json) {}

  private final HttpServer server;
  private final int failures;
  private final Map<String, Integer> refused = new ConcurrentHashMap<>();
  private final List<Hook> accepted = new CopyOnWriteArrayList<>();

  private WebhookReceiver(int failures) throws IOException {
    this.failures = failures;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  static WebhookReceiver start(int failures) throws IOException {
    return new WebhookReceiver(failures);
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** What was accepted for the batch, in arrival order. */
  List<Hook> delivered(String batchId) {
    return accepted.stream().filter(hook -> hook.json().path("batchId").asText().equals(batchId)).toList();
  }

  int refusedTries(String id) {
    return refused.getOrDefault(id, 0);
  }

  /** What a studio computes to check a webhook: sha256= and the HMAC-SHA256 of the body under its key. */
  static String sign(String secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    String id = exchange.getRequestHeaders().getFirst("Flowreel-Delivery");
    int status;
    if (id == null) {
      status = 400;
    } else if (refused.getOrDefault(id, 0) < failures) {
      refused.merge(id, 1, Integer::sum);
      status = 503;
    } else {
      try {
        accepted.add(new Hook(exchange.getRequestURI().getPath(), id,
            exchange.getRequestHeaders().getFirst("Flowreel-Signature"), body,
            JSON.readTree(body)));
        status = 200;
      } catch (IOException e) {
        status = 400;
      }
    }
    exchange.sendResponseHeaders(status, -1);
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
