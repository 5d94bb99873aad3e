package io.flowreel.gateway;

import io.flowreel.contract.Stages;
import io.flowreel.messages.ControlAction;
import io.flowreel.messages.ControlTargetKind;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.pack.ShapeBuckets;
import io.flowreel.submission.AcceptedBatch;
import io.flowreel.submission.BatchIds;
import io.flowreel.submission.BatchRequest;
import io.flowreel.submission.BatchResolver;
import io.flowreel.submission.PackCatalog;
import io.flowreel.tracker.JobState;
import io.flowreel.tracker.JobStatus;
import io.flowreel.tracker.Submission;
import io.flowreel.tracker.TimeIndex;
import jakarta.inject.Singleton;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
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
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/**
 * {@code /v1/batches}: submit, read, page through, cancel and watch batches. One instance per
 * gateway (the idempotency keys in progress are shared).
 */
@SecurityScheme(securitySchemeName = ApiKeyFilter.OPENAPI_SCHEME, type = SecuritySchemeType.HTTP, scheme = "bearer",
    description = "The studio's API key (flr_...); 'flowreel up' writes a local one to .flowreel/api-key")
@SecurityRequirement(name = ApiKeyFilter.OPENAPI_SCHEME)
@Singleton
@Path("/v1/batches")
@Produces(MediaType.APPLICATION_JSON)
public class BatchesResource {

  static final int MAX_PAGE = 1000;
  /** HMAC-SHA256 keys of fewer bytes than its output weaken it (RFC 2104). */
  static final int MIN_SECRET_LENGTH = 32;

  private final PipelineDispatcher dispatcher;
  private final TrackerClient tracker;
  private final Views views;
  private final EventStreams streams;
  private final GatewayConfig config;
  private final QueueQuota quota;
  private final Webhooks webhooks;
  private final BatchResolver resolver;
  private final byte[] idSecret;
  /** Idempotency keys of submissions in progress in this gateway: a concurrent repeat waits its turn. */
  private final Set<String> inProgress = ConcurrentHashMap.newKeySet();

  BatchesResource(PipelineDispatcher dispatcher, TrackerClient tracker, Views views, EventStreams streams,
      GatewayConfig config, QueueQuota quota, Webhooks webhooks, PackCatalog packs) {
    this.dispatcher = dispatcher;
    this.quota = quota;
    this.webhooks = webhooks;
    this.tracker = tracker;
    this.views = views;
    this.streams = streams;
    this.config = config;
    this.idSecret = config.gateway().idSecret().getBytes(StandardCharsets.UTF_8);
    if (idSecret.length < MIN_SECRET_LENGTH) {
      throw new IllegalStateException("flowreel.gateway.id-secret (FLOWREEL_GATEWAY_ID_SECRET) must be at least "
          + MIN_SECRET_LENGTH + " characters; 'openssl rand -hex 32' makes one");
    }
    this.resolver = new BatchResolver(packs, ShapeBuckets.parseList(config.tensorrt().buckets().orElse("")),
        Clock.systemUTC());
  }

  @POST
  @Consumes({MediaType.APPLICATION_JSON, "application/x-ndjson", "application/jsonl", "application/x-jsonlines"})
  @Operation(summary = "Submit a batch of jobs",
      description = "JSON {\"defaults\": {...}, \"jobs\": [{...}]}, a JSON array of jobs, or JSONL (one job per line). "
          + "Every job is checked first: one invalid job rejects the whole batch, naming its index. With an "
          + "Idempotency-Key, the same key and request return the same batch (200) instead of a new one (201). "
          + "202: the batch is submitted but the tracker does not show it yet (its status follows shortly). 429: the "
          + "batch would take the tenant over its queue quota of unfinished jobs (nothing of it is submitted).")
  public Response submit(byte[] body, @HeaderParam("Content-Type") String contentType,
      @Parameter(description = "Client key: repeats of the request with this key return the same batch")
      @HeaderParam("Idempotency-Key") String idempotencyKey,
      @Context SecurityContext security) {
    Caller caller = Caller.of(security);
    // The key's tenant owns the batch; an operator submits as its own tenant too.
    String tenant = caller.tenant();
    String batchId;
    if (idempotencyKey != null) {
      BatchIds.validateKey(idempotencyKey);
      batchId = BatchIds.forIdempotencyKey(idSecret, tenant, idempotencyKey);
    } else {
      batchId = BatchIds.random();
    }
    BatchRequest request = BatchRequest.parse(body, contentType, config.gateway().maxJobsPerBatch());
    AcceptedBatch accepted = resolver.resolve(request, tenant, batchId, idempotencyKey);
    if (request.callbackUrl() != null) {
      webhooks.check(tenant, request.callbackUrl());
    }
    accepted.submission().getJobCallbackUrls().values().stream().map(CharSequence::toString).distinct()
        .forEach(url -> webhooks.check(tenant, url));

    if (!inProgress.add(batchId)) {
      throw ApiException.conflict("a request with this Idempotency-Key is being processed; repeat it when it "
          + "has been answered");
    }
    try {
      // A random batch id cannot exist yet: only a keyed request can be a repeat.
      TrackerClient.TrackedBatch existing = idempotencyKey == null ? null : tracker.batch(batchId).orElse(null);
      if (existing != null && existing.submission() != null) {
        if (!existing.submission().requestSha256().equals(accepted.submission().getRequestSha256())) {
          throw new ApiException(422, "Idempotency-Key '" + idempotencyKey + "' was used for a different request "
              + "(batch " + batchId + "); use a new key for a new batch");
        }
        return Response.ok(submitted(views.batch(batchId, caller), accepted)).header("Idempotent-Replayed", "true").build();
      }
      quota.admit(tenant, accepted.jobs().size());
      dispatcher.submit(accepted.submission(), accepted.jobs().stream().map(BatchesResource::firstTask).toList());
      // Committed: from here on the answer is a success whatever the tracker says. Wait (bounded) for
      // the tracker to show the batch, so that the client's next request finds it: 201. A tracker
      // that is slow or down turns that into 202; never into an error a client would repeat.
      Object answer = submitted(ApiModel.Batch.of(batchId, Submission.of(accepted.submission()), null), accepted);
      URI location = URI.create("/v1/batches/" + batchId);
      return trackerShows(batchId)
          ? Response.created(location).entity(answer).build()
          : Response.accepted(answer).location(location).build();
    } finally {
      inProgress.remove(batchId);
    }
  }

  private boolean trackerShows(String batchId) {
    try {
      return TrackerClient.await(() -> tracker.batch(batchId).map(b -> b.submission() != null).orElse(false),
          found -> found, config.gateway().trackerWait());
    } catch (TrackerClient.TrackerUnavailableException e) {
      return false;
    }
  }

  @GET
  @Operation(summary = "The tenant's batches, newest first, a page at a time",
      description = "Filters: state (open: not every job finished; done), since and until (ISO-8601, by submission "
          + "time; until exclusive), tenant (operators only). Paged like GET /v1/jobs.")
  public ApiModel.BatchList list(@QueryParam("state") String state, @QueryParam("since") String since,
      @QueryParam("until") String until, @QueryParam("tenant") String tenant, @QueryParam("cursor") String cursor,
      @QueryParam("limit") @DefaultValue("100") int limit, @Context SecurityContext security, @Context UriInfo uri) {
    String owner = Listing.tenant(Caller.of(security), tenant);
    Boolean open = state == null || state.isBlank() ? null : switch (state.trim().toLowerCase(Locale.ROOT)) {
      case "open" -> true;
      case "done" -> false;
      default -> throw ApiException.badRequest("state must be open or done, not '" + state + "'");
    };
    TrackerClient.BatchList page = tracker.batches(owner, open, Listing.millis("since", since, 0),
        Listing.millis("until", until, Long.MAX_VALUE), Listing.decode(cursor, p -> TimeIndex.ofTenant(p, owner)),
        Listing.limit(limit));
    String next = Listing.encode(page.next());
    return new ApiModel.BatchList(page.batches().stream()
        .map(b -> ApiModel.Batch.of(b.submission().batchId(), b.submission(), b.status())).toList(),
        next, next == null ? null : Listing.next(uri, next));
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "A batch: total and jobs per state")
  public ApiModel.Batch get(@PathParam("id") String id, @Context SecurityContext security) {
    return views.batch(id, Caller.of(security));
  }

  @GET
  @Path("/{id}/jobs")
  @Operation(summary = "A page of a batch's jobs, in submission order")
  public ApiModel.JobPage jobs(@PathParam("id") String id, @QueryParam("from") @DefaultValue("0") int from,
      @QueryParam("limit") @DefaultValue("100") int limit, @Context SecurityContext security) {
    if (from < 0 || limit < 1 || limit > MAX_PAGE) {
      throw ApiException.badRequest("from must be 0 or more and limit between 1 and " + MAX_PAGE + " (got from="
          + from + ", limit=" + limit + ")");
    }
    ApiModel.Batch batch = views.batch(id, Caller.of(security));
    List<ApiModel.Job> page = tracker.batchJobs(id, from, limit).stream().map(views::job).toList();
    String next = from + limit < batch.total()
        ? "/v1/batches/" + id + "/jobs?from=" + (from + limit) + "&limit=" + limit : null;
    return new ApiModel.JobPage(id, from, limit, batch.total(), page, next);
  }

  @POST
  @Path("/{id}/cancel")
  @Operation(summary = "Cancel every unfinished job of a batch",
      description = "Queued jobs are CANCELLED at once (their tasks are dropped when a stage reaches them); "
          + "running ones stop at the next denoising step or stage boundary. Finished jobs keep their outputs.")
  public Response cancel(@PathParam("id") String id, @Context SecurityContext security) {
    ApiModel.Batch batch = views.batch(id, Caller.of(security));
    dispatcher.cancelBatch(id, jobsIn(id, batch.total(), JobState.QUEUED), "batch cancelled through the API");
    return Response.accepted(batch).build();
  }

  /** The batch's jobs in {@code state}, read from the tracker a page at a time. */
  private List<JobStatus> jobsIn(String batchId, long total, JobState state) {
    List<JobStatus> found = new ArrayList<>();
    for (int from = 0; from < total; from += MAX_PAGE) {
      tracker.batchJobs(batchId, from, MAX_PAGE).stream().filter(job -> job.state() == state).forEach(found::add);
    }
    return found;
  }

  @POST
  @Path("/{id}/pause")
  @Operation(summary = "Pause a batch: its queued work is not handed out until it is resumed",
      description = "Every task of the batch that waits for a stage, or comes to wait later, is held; tasks running "
          + "finish their stage. Its jobs show paused: true once a task of theirs is held.")
  public Response pause(@PathParam("id") String id, @Context SecurityContext security) {
    return steer(id, security, ControlAction.PAUSE, null, "batch paused through the API");
  }

  @POST
  @Path("/{id}/resume")
  @Operation(summary = "Resume a paused batch",
      description = "Its held tasks go back to where they waited, in their place (a job paused on its own stays "
          + "paused).")
  public Response resume(@PathParam("id") String id, @Context SecurityContext security) {
    return steer(id, security, ControlAction.RESUME, null, "batch resumed through the API");
  }

  @POST
  @Path("/{id}/priority")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Change the priority of a batch's queued work",
      description = "Body {\"priority\": 0..9}. Its waiting tasks are re-ordered at once, keeping their order among "
          + "themselves, and every later stage of its jobs runs at the new priority.")
  public Response priority(@PathParam("id") String id, ApiModel.PriorityChange change,
      @Context SecurityContext security) {
    int priority = ApiModel.PriorityChange.checked(change);
    return steer(id, security, ControlAction.PRIORITY, priority, "batch priority set to " + priority);
  }

  private Response steer(String id, SecurityContext security, ControlAction action, Integer priority, String reason) {
    ApiModel.Batch batch = views.batch(id, Caller.of(security));
    if (batch.total() > 0 && batch.done() == batch.total()) {
      throw ApiException.conflict("batch " + id + " has finished: none of its work waits");
    }
    dispatcher.steer(id, ControlTargetKind.BATCH, action, priority, reason);
    return Response.accepted(batch).build();
  }

  @POST
  @Path("/{id}/retry")
  @Operation(summary = "Re-run every failed job of a batch from the stage that failed",
      description = "Each failed job runs again as a new attempt from its failed stage, reusing what earlier "
          + "stages stored, all in one transaction. Succeeded, cancelled and unfinished jobs are left as they are.")
  public Response retry(@PathParam("id") String id, @Context SecurityContext security) {
    ApiModel.Batch batch = views.batch(id, Caller.of(security));
    List<RenderTask> retries = new ArrayList<>();
    for (JobStatus job : jobsIn(id, batch.total(), JobState.FAILED)) {
      retries.add(RetryPlan.of(job, null));
    }
    if (retries.isEmpty()) {
      throw ApiException.conflict("batch " + id + " has no failed job to retry");
    }
    dispatcher.retryAll(retries);
    return Response.accepted(new ApiModel.Retried(batch,
        retries.stream().map(t -> t.getSpec().getJobId()).toList())).build();
  }

  @GET
  @Path("/{id}/events")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  @Operation(summary = "Live events of every job of the batch (server-sent events)",
      description = "First 'batch' with the counts, then each stage event (named by its type: queued, started, "
          + "progress, succeeded, failed, retrying, dead_lettered, cancelled), and 'batch' again whenever a job "
          + "finishes. Ends when every job has finished. 429 (with Retry-After) when the tenant or the gateway has "
          + "as many streams open as allowed.")
  public void events(@PathParam("id") String id, @Context SseEventSink sink, @Context Sse sse,
      @Context SecurityContext security) {
    streams.batch(id, Caller.of(security), views, sink, sse);
  }

  private static RenderTask firstTask(JobSpec spec) {
    return RenderTask.newBuilder()
        .setSpec(spec)
        .setAttempt(1)
        .setRoutingSlip(Stages.routingSlip(spec.getRewrite(), spec.getUpsample()))
        .setCreatedAtMillis(System.currentTimeMillis())
        .build();
  }

  private static ApiModel.Submitted submitted(ApiModel.Batch batch, AcceptedBatch accepted) {
    return new ApiModel.Submitted(batch, accepted.jobs().stream().map(JobSpec::getJobId).toList());
  }

}
