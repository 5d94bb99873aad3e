package io.flowreel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** The gateway's REST API (docs/api.md) as the command line uses it. */
final class GatewayClient {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final String base;
  /** The API key; null sends none, and the gateway answers 401 with what to do. */
  private final String apiKey;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NORMAL).build();

  GatewayClient(String base, String apiKey) {
    this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.apiKey = apiKey;
  }

  /** A server-sent event: its name and its JSON data. */
  record Event(String name, JsonNode data) {}

  /** The gateway refused a request or could not be reached; the message is its reason. */
  static final class GatewayException extends Exception {
    private final int status;

    GatewayException(int status, String message) {
      super(message);
      this.status = status;
    }

    int status() {
      return status;
    }
  }

  String base() {
    return base;
  }

  JsonNode submit(byte[] body, String contentType, String idempotencyKey) throws GatewayException {
    HttpRequest.Builder request = request("/v1/batches").header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    return send(request.build());
  }

  JsonNode job(String id) throws GatewayException {
    return send(request("/v1/jobs/" + id).GET().build());
  }

  JsonNode batch(String id) throws GatewayException {
    return send(request("/v1/batches/" + id).GET().build());
  }

  JsonNode batchJobs(String id, int from, int limit) throws GatewayException {
    return send(request("/v1/batches/" + id + "/jobs?from=" + from + "&limit=" + limit).GET().build());
  }

  /** A GET of a list ({@code /v1/jobs?...}, a {@code next} link), as the gateway answers it. */
  JsonNode list(String pathAndQuery) throws GatewayException {
    return send(request(pathAndQuery).GET().build());
  }

  JsonNode cancelJob(String id) throws GatewayException {
    return send(request("/v1/jobs/" + id + "/cancel").POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  JsonNode cancelBatch(String id) throws GatewayException {
    return send(request("/v1/batches/" + id + "/cancel").POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  /**
   * Pauses, resumes or reprioritises ({@code action}: pause, resume, priority) a batch or a job; {@code priority} is
   * the new priority, for {@code priority} only.
   */
  JsonNode steer(String id, boolean batch, String action, Integer priority) throws GatewayException {
    HttpRequest.Builder request = request((batch ? "/v1/batches/" : "/v1/jobs/") + id + "/" + action);
    if (priority == null) {
      request.POST(HttpRequest.BodyPublishers.noBody());
    } else {
      request.header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"priority\": " + priority + "}"));
    }
    return send(request.build());
  }

  JsonNode retryBatch(String id) throws GatewayException {
    return send(request("/v1/batches/" + id + "/retry").POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  JsonNode retry(String id, String from) throws GatewayException {
    String query = from == null ? "" : "?from=" + URLEncoder.encode(from, StandardCharsets.UTF_8);
    return send(request("/v1/jobs/" + id + "/retry" + query).POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  /**
   * Reads the event stream of a batch or job ({@code path}: {@code /v1/batches/ID/events}) and hands
   * each event to {@code listener}; returns when the server ends the stream.
   */
  void events(String path, Consumer<Event> listener) throws GatewayException {
    HttpRequest request = authorized(HttpRequest.newBuilder(URI.create(base + path)))
        .header("Accept", "text/event-stream").GET().build();
    HttpResponse<Stream<String>> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofLines());
    } catch (IOException e) {
      throw new GatewayException(0, "cannot reach the gateway at " + base + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GatewayException(0, "interrupted");
    }
    if (response.statusCode() != 200) {
      throw new GatewayException(response.statusCode(), "the gateway answered " + response.statusCode() + " to "
          + path);
    }
    String name = "message";
    StringBuilder data = new StringBuilder();
    try (Stream<String> lines = response.body()) {
      for (String line : (Iterable<String>) lines::iterator) {
        if (line.startsWith("event:")) {
          name = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(5).trim());
        } else if (line.isEmpty() && data.length() > 0) {
          listener.accept(new Event(name, JSON.readTree(data.toString())));
          name = "message";
          data.setLength(0);
        }
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new GatewayException(0, "the event stream " + path + " broke: " + e.getMessage());
    }
  }

  /** Downloads {@code url} into {@code target}, whole or not at all. */
  void download(String url, Path target) throws GatewayException, IOException {
    Path partial = target.resolveSibling("." + target.getFileName() + ".partial");
    HttpResponse<InputStream> response;
    try {
      response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GatewayException(0, "interrupted");
    }
    try (InputStream in = response.body()) {
      if (response.statusCode() != 200) {
        throw new GatewayException(response.statusCode(), "download of " + target.getFileName() + " failed: "
            + response.statusCode() + " " + new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
      Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private HttpRequest.Builder request(String path) {
    return authorized(HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT));
  }

  private HttpRequest.Builder authorized(HttpRequest.Builder request) {
    return apiKey == null ? request : request.header("Authorization", "Bearer " + apiKey);
  }

  private JsonNode send(HttpRequest request) throws GatewayException {
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new GatewayException(0, "cannot reach the gateway at " + base + " (" + e.getMessage()
          + "); is it up? ('./flowreel up', or --gateway URL)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GatewayException(0, "interrupted");
    }
    JsonNode body;
    try {
      body = response.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new GatewayException(response.statusCode(), "the gateway answered " + response.statusCode()
          + " with something that is not JSON");
    }
    if (response.statusCode() >= 400) {
      StringBuilder reason = new StringBuilder(body.path("reason").asText("HTTP " + response.statusCode()));
      body.path("problems").forEach(p -> reason.append("\n  ").append(p.asText()));
      throw new GatewayException(response.statusCode(), reason.toString());
    }
    return body;
  }
}
