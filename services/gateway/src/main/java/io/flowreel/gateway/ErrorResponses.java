package io.flowreel.gateway;

import io.flowreel.submission.BatchProblem;
import io.flowreel.submission.InvalidBatchException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every refusal becomes a JSON {@link ApiModel.Error} with a reason a person can act on. */
public class ErrorResponses {

  @ServerExceptionMapper
  public Response refused(ApiException e) {
    Response error = error(e.status(), e.getMessage(), e.problems());
    return e.retryAfterSeconds() > 0
        ? Response.fromResponse(error).header("Retry-After", Integer.toString(e.retryAfterSeconds())).build()
        : error;
  }

  @ServerExceptionMapper
  public Response invalidBatch(InvalidBatchException e) {
    List<String> problems = e.problems().stream().map(BatchProblem::message).toList();
    String reason = problems.size() == 1 ? "the request was rejected, nothing was submitted: " + problems.get(0)
        : "the request was rejected with " + problems.size() + " problems, nothing was submitted";
    return error(400, reason, problems.size() == 1 ? List.of() : problems);
  }

  /** JAX-RS's own refusals (unknown path, wrong method, unsupported content type) get a reason too. */
  @ServerExceptionMapper
  public Response framework(WebApplicationException e) {
    int status = e.getResponse().getStatus();
    String reason = switch (status) {
      case 415 -> "unsupported Content-Type: send application/json (a batch object or an array of jobs) or "
          + "application/x-ndjson (one job per line)";
      case 405 -> "method not allowed on this path; see /q/openapi";
      case 404 -> "no such resource; the API is under /v1, described at /q/openapi";
      default -> e.getMessage();
    };
    return error(status, reason, List.of());
  }

  @ServerExceptionMapper
  public Response trackerUnavailable(TrackerClient.TrackerUnavailableException e) {
    return unavailable("status is unavailable right now: " + e.getMessage());
  }

  @ServerExceptionMapper
  public Response busUnavailable(PipelineDispatcher.BusUnavailableException e) {
    return unavailable(e.getMessage() + "; nothing was submitted, repeat the request");
  }

  private static Response unavailable(String reason) {
    return Response.fromResponse(error(503, reason, List.of())).header("Retry-After", "5").build();
  }

  static Response error(int status, String reason, List<String> problems) {
    Response.Status known = Response.Status.fromStatusCode(status);
    String name = known != null ? known.getReasonPhrase() : status == 422 ? "Unprocessable Content" : "Error";
    return Response.status(status).type(MediaType.APPLICATION_JSON)
        .entity(new ApiModel.Error(status, name, reason, problems)).build();
  }
}
