package io.flowreel.gateway;

import io.flowreel.submission.BatchProblem;
import io.flowreel.submission.InvalidBatchException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every refusal becomes a JSON {@link ApiModel.Error} with a reason a person can act on. */
public class ErrorResponses {

  @ServerExceptionMapper
  public Response refused(ApiException e) {
    return error(e.status(), e.getMessage(), e.problems());
  }

  @ServerExceptionMapper
  public Response invalidBatch(InvalidBatchException e) {
    List<String> problems = e.problems().stream().map(BatchProblem::message).toList();
    String reason = problems.size() == 1 ? "the request was rejected, nothing was submitted: " + problems.get(0)
        : "the request was rejected with " + problems.size() + " problems, nothing was submitted";
    return error(400, reason, problems.size() == 1 ? List.of() : problems);
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
