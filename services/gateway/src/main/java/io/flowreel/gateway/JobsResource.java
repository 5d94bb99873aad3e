package io.flowreel.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.messages.ControlAction;
import io.flowreel.messages.ControlTargetKind;
import io.flowreel.messages.RenderTask;
import io.flowreel.tracker.JobState;
import io.flowreel.tracker.JobStatus;
import io.flowreel.tracker.TimeIndex;
import io.flowreel.tracker.StoredArtifact;
import jakarta.inject.Singleton;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

/** {@code /v1/jobs}: read, cancel, retry and watch one job, and download its outputs. */
@SecurityRequirement(name = ApiKeyFilter.OPENAPI_SCHEME)
@Singleton
@Path("/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
public class JobsResource {

  private static final Duration RETRY_VISIBLE = Duration.ofSeconds(5);
  /** Most jobs of a batch one page reads for a filter (as the tracker's index pages). */
  private static final int MAX_SCANNED = 5_000;
  /** Output names are the publisher's ({@code video}, {@code poster}, {@code manifest}); these are echoed. */
  private static final Pattern OUTPUT_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  private final PipelineDispatcher dispatcher;
  private final TrackerClient tracker;
  private final Views views;
  private final EventStreams streams;
  private final OutputLinks links;
  private final ObjectMapper json;

  JobsResource(PipelineDispatcher dispatcher, TrackerClient tracker, Views views, EventStreams streams,
      OutputLinks links, ObjectMapper json) {
    this.dispatcher = dispatcher;
    this.tracker = tracker;
    this.views = views;
    this.streams = streams;
    this.links = links;
    this.json = json;
  }

  @GET
  @Operation(summary = "The tenant's jobs, newest first, a page at a time",
      description = "Filters: state (queued, running, succeeded, failed, cancelled), batch, since and until "
          + "(ISO-8601, by submission time; until exclusive), tenant (operators only). 'cursor' from the previous "
          + "page continues the list; 'next' is that request. A page may hold fewer than 'limit' jobs (a rare filter "
          + "reads a bounded part of the history per page) and still have a next one; the list ends without 'next'.")
  public ApiModel.JobList list(@QueryParam("state") String state, @QueryParam("batch") String batch,
      @QueryParam("since") String since, @QueryParam("until") String until, @QueryParam("tenant") String tenant,
      @QueryParam("cursor") String cursor, @QueryParam("limit") @DefaultValue("100") int limit,
      @Context SecurityContext security, @Context UriInfo uri) {
    Caller caller = Caller.of(security);
    String owner = Listing.tenant(caller, tenant);
    JobState wanted = state(state);
    long from = Listing.millis("since", since, 0);
    long to = Listing.millis("until", until, Long.MAX_VALUE);
    Listing.limit(limit);
    if (batch != null) {
      return batchJobs(views.batch(batch, caller), owner, wanted, from, to, cursor, limit, uri);
    }
    String after = Listing.decode(cursor, position -> TimeIndex.ofTenant(position, owner));
    TrackerClient.JobList page = tracker.jobs(owner, wanted, from, to, after, limit);
    return list(page.jobs(), Listing.encode(page.next()), uri);
  }

  /** A batch's jobs in submission order, filtered; the cursor is a position in the batch. */
  private ApiModel.JobList batchJobs(ApiModel.Batch batch, String owner, JobState state, long since, long until,
      String cursor, int limit, UriInfo uri) {
    if (!batch.tenant().equals(owner)) {
      throw ApiException.notFound("no batch " + batch.id() + " of tenant " + owner);
    }
    String position = Listing.decode(cursor, p -> p.matches("i[0-9]{1,9}"));
    int from = position == null ? 0 : Integer.parseInt(position.substring(1));
    int start = from;
    List<JobStatus> found = new ArrayList<>();
    while (from < batch.total() && found.size() < limit && from - start < MAX_SCANNED) {
      int page = (int) Math.min(BatchesResource.MAX_PAGE, batch.total() - from);
      int next = from + page;
      for (JobStatus job : tracker.batchJobs(batch.id(), from, page)) {
        if ((state == null || job.state() == state) && job.submittedMillis() >= since && job.submittedMillis() < until) {
          found.add(job);
          if (found.size() == limit) {
            next = indexInBatch(job) + 1;
            break;
          }
        }
      }
      from = next;
    }
    return list(found, from < batch.total() ? Listing.encode("i" + from) : null, uri);
  }

  /** A job's place in its batch: its id is the batch id and the index ({@code Ids.jobId}). */
  private static int indexInBatch(JobStatus job) {
    return Integer.parseInt(job.jobId().substring(job.batchId().length() + 1));
  }

  private ApiModel.JobList list(List<JobStatus> jobs, String cursor, UriInfo uri) {
    return new ApiModel.JobList(jobs.stream().map(views::job).toList(), cursor,
        cursor == null ? null : Listing.next(uri, cursor));
  }

  private static JobState state(String state) {
    if (state == null || state.isBlank()) {
      return null;
    }
    try {
      JobState parsed = JobState.valueOf(state.trim().toUpperCase(Locale.ROOT));
      if (parsed != JobState.UNKNOWN) {
        return parsed;
      }
    } catch (IllegalArgumentException e) {
      // below
    }
    throw ApiException.badRequest("state must be one of queued, running, succeeded, failed, cancelled, not '"
        + state + "'");
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "A job: state, stage, progress, attempts, error, prompts and output links")
  public ApiModel.Job get(@PathParam("id") String id, @Context SecurityContext security) {
    return views.job(views.jobStatus(id, Caller.of(security)));
  }

  @POST
  @Path("/{id}/cancel")
  @Operation(summary = "Cancel a queued or running job",
      description = "A queued job is CANCELLED at once; a running one when its stage sees the command (between "
          + "denoising steps or at the next stage).")
  public Response cancel(@PathParam("id") String id, @Context SecurityContext security) {
    JobStatus job = views.jobStatus(id, Caller.of(security));
    if (job.state().isTerminal()) {
      throw ApiException.conflict("job " + id + " has already finished (" + job.state() + "): nothing to cancel");
    }
    dispatcher.cancelJob(job, "cancelled through the API");
    return Response.accepted(views.job(job)).build();
  }

  @POST
  @Path("/{id}/pause")
  @Operation(summary = "Pause a job: its queued work is not handed out until it is resumed",
      description = "Its task waiting for a stage (or, if one is running, its next one) is held; a running task "
          + "finishes its stage. The job shows paused: true once its task is held.")
  public Response pause(@PathParam("id") String id, @Context SecurityContext security) {
    return steer(id, security, ControlAction.PAUSE, null, "job paused through the API");
  }

  @POST
  @Path("/{id}/resume")
  @Operation(summary = "Resume a paused job", description = "Its held task goes back to where it waited (unless the "
      + "job's batch is paused too).")
  public Response resume(@PathParam("id") String id, @Context SecurityContext security) {
    return steer(id, security, ControlAction.RESUME, null, "job resumed through the API");
  }

  @POST
  @Path("/{id}/priority")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Change the priority of a job's queued work",
      description = "Body {\"priority\": 0..9}: its waiting task is re-ordered at once, its later stages run at it.")
  public Response priority(@PathParam("id") String id, ApiModel.PriorityChange change,
      @Context SecurityContext security) {
    int priority = ApiModel.PriorityChange.checked(change);
    return steer(id, security, ControlAction.PRIORITY, priority, "job priority set to " + priority);
  }

  private Response steer(String id, SecurityContext security, ControlAction action, Integer priority, String reason) {
    JobStatus job = views.jobStatus(id, Caller.of(security));
    if (job.state().isTerminal()) {
      throw ApiException.conflict("job " + id + " has already finished (" + job.state() + "): none of its work waits");
    }
    dispatcher.steer(id, ControlTargetKind.JOB, action, priority, reason);
    return Response.accepted(views.job(job)).build();
  }

  @POST
  @Path("/{id}/retry")
  @Operation(summary = "Re-run a finished job from a stage",
      description = "From the named stage, or from the stage that failed or was cancelled. Earlier stages are not "
          + "run again: their stored results are reused. Answers with the job as a new, queued attempt.")
  public Response retry(@PathParam("id") String id,
      @Parameter(description = "Stage to re-run from: rewrite, encode, denoise, decode, upsample or publish")
      @QueryParam("from") String from, byte[] body, @Context SecurityContext security) {
    String stage = from != null ? from : fromBody(body);
    JobStatus job = views.jobStatus(id, Caller.of(security));
    RenderTask task = RetryPlan.of(job, stage);
    dispatcher.retry(task);
    JobStatus queued = TrackerClient.await(() -> tracker.job(id).orElse(job),
        j -> j.attempt() >= task.getAttempt(), RETRY_VISIBLE);
    return Response.accepted(views.job(queued)).build();
  }

  @GET
  @Path("/{id}/events")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  @Operation(summary = "Live events of the job (server-sent events)",
      description = "First 'status' with the job, then each stage event (named by its type: queued, started, "
          + "progress, succeeded, failed, retrying, dead_lettered, cancelled), and 'status' again when the job "
          + "finishes; then the stream ends. 429 (with Retry-After) when the tenant or the gateway has as many "
          + "streams open as allowed.")
  public void events(@PathParam("id") String id, @Context SseEventSink sink, @Context Sse sse,
      @Context SecurityContext security) {
    streams.job(id, Caller.of(security), views, sink, sse);
  }

  @GET
  @Path("/{id}/outputs/{name}")
  @Operation(summary = "Redirect to a fresh download link of one output (video, poster or manifest)")
  public Response output(@PathParam("id") String id, @PathParam("name") String name,
      @Context SecurityContext security) {
    if (!OUTPUT_NAME.matcher(name).matches()) {
      throw ApiException.badRequest("malformed output name: one of the job's outputs, such as video, poster or "
          + "manifest");
    }
    JobStatus job = views.jobStatus(id, Caller.of(security));
    StoredArtifact artifact = job.outputs().stream().filter(o -> o.name().equals(name)).findFirst()
        .orElseThrow(() -> ApiException.notFound("job " + id + " has no output '" + name + "'"
            + (job.outputs().isEmpty() ? " (it has not published yet)" : "; it has "
            + job.outputs().stream().map(StoredArtifact::name).toList())));
    return Response.seeOther(URI.create(links.link(artifact).url())).build();
  }

  private String fromBody(byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    JsonNode node;
    try {
      node = json.readTree(body);
    } catch (IOException e) {
      throw ApiException.badRequest("the body must be empty or {\"from\": \"STAGE\"}: " + e.getMessage());
    }
    if (node == null || node.isNull() || (node.isObject() && node.isEmpty())) {
      return null;
    }
    if (!node.isObject() || node.size() != 1 || !node.path("from").isTextual()) {
      throw ApiException.badRequest("the body must be empty or {\"from\": \"STAGE\"}");
    }
    return node.get("from").asText();
  }

}
