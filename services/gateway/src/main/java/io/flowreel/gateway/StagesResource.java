package io.flowreel.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.inject.Singleton;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

/**
 * {@code /v1/stages}: each stage's backlog and workers, as the scheduler counts them (the dashboard shows them).
 * Farm-wide counts, no tenant's data: every key may read them.
 */
@SecurityRequirement(name = ApiKeyFilter.OPENAPI_SCHEME)
@Singleton
@Path("/v1/stages")
@Produces(MediaType.APPLICATION_JSON)
public class StagesResource {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final GatewayConfig config;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

  StagesResource(GatewayConfig config) {
    this.config = config;
  }

  @GET
  @Operation(summary = "Each stage's backlog and workers",
      description = "Per stage, in pipeline order: waiting (tasks waiting for a worker, paused ones not counted), "
          + "admitted (given to the stage's workers and not finished) and workers. 503 when the gateway has no "
          + "scheduler address (FLOWREEL_SCHEDULER_URL) or the scheduler does not answer.")
  public JsonNode stages() {
    URI base = config.scheduler().url()
        .orElseThrow(() -> new ApiException(503, "this gateway is not told where the scheduler is "
            + "(FLOWREEL_SCHEDULER_URL)"));
    try {
      HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(base.resolve("/scheduler/stages"))
          .timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        throw new ApiException(503, "the scheduler answered " + response.statusCode());
      }
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new ApiException(503, "the scheduler at " + base + " did not answer: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "interrupted while asking the scheduler");
    }
  }
}
