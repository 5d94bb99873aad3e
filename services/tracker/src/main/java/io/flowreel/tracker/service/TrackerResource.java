package io.flowreel.tracker.service;

import io.flowreel.contract.ApiKeys;
import io.flowreel.contract.Ids;
import io.flowreel.tracker.BatchStatus;
import io.flowreel.tracker.JobState;
import io.flowreel.tracker.JobStatus;
import io.flowreel.tracker.Submission;
import io.flowreel.tracker.TenantStatus;
import io.flowreel.tracker.TimeIndex;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * Interactive queries on the tracker's stores, for the gateway (not a public API: the gateway's
 * {@code /v1} is). One tracker instance holds every store; see docs/tracker.md for scaling out.
 */
@Path("/tracker")
@Produces(MediaType.APPLICATION_JSON)
public class TrackerResource {

  static final int MAX_PAGE = 1000;

  private final TrackerStreams streams;

  TrackerResource(TrackerStreams streams) {
    this.streams = streams;
  }

  /** A batch as the tracker knows it: what was submitted and how its jobs stand. */
  public record BatchView(Submission submission, BatchStatus status) {}

  /** A page of a list, newest first, and the cursor of the next one (null at the end). */
  public record JobList(List<JobStatus> jobs, String next) {}

  public record BatchList(List<BatchView> batches, String next) {}

  /**
   * A tenant's jobs, newest first, submitted from {@code since} (inclusive) to {@code until} (exclusive, epoch
   * ms), in {@code state} if given; {@code after}: the previous page's {@code next}.
   */
  @GET
  @Path("/jobs")
  public JobList jobs(@QueryParam("tenant") String tenant, @QueryParam("state") JobState state,
      @QueryParam("since") @DefaultValue("0") long since, @QueryParam("until") @DefaultValue("9999999999999") long until,
      @QueryParam("after") String after, @QueryParam("limit") @DefaultValue("100") int limit) {
    checkList(tenant, after, limit);
    IndexPage.Page<JobStatus> page = IndexPage.read(streams.jobsByTime(), TimeIndex.bound(tenant, since),
        TimeIndex.bound(tenant, until), after, limit, id -> Optional.ofNullable(streams.jobs().get(id))
            .filter(job -> state == null || job.state() == state));
    return new JobList(page.items(), page.next());
  }

  /** A tenant's batches, newest first, as {@link #jobs}; {@code open}: only unfinished ones (true) or finished. */
  @GET
  @Path("/batches")
  public BatchList batches(@QueryParam("tenant") String tenant, @QueryParam("open") Boolean open,
      @QueryParam("since") @DefaultValue("0") long since, @QueryParam("until") @DefaultValue("9999999999999") long until,
      @QueryParam("after") String after, @QueryParam("limit") @DefaultValue("100") int limit) {
    checkList(tenant, after, limit);
    IndexPage.Page<BatchView> page = IndexPage.read(streams.batchesByTime(), TimeIndex.bound(tenant, since),
        TimeIndex.bound(tenant, until), after, limit, id -> {
          BatchView batch = new BatchView(streams.submissions().get(id), streams.batches().get(id));
          boolean finished = batch.status() != null && batch.submission() != null
              && batch.status().done() == batch.submission().total();
          return open == null || open != finished ? Optional.of(batch) : Optional.empty();
        });
    return new BatchList(page.items(), page.next());
  }

  private static void checkList(String tenant, String after, int limit) {
    if (tenant == null || !ApiKeys.TENANT.matcher(tenant).matches()) {
      throw new BadRequestException("a list needs the tenant");
    }
    if (after != null && !TimeIndex.ofTenant(after, tenant)) {
      throw new BadRequestException("the cursor is not one of this tenant's lists");
    }
    if (limit < 1 || limit > MAX_PAGE) {
      throw new BadRequestException("limit 1.." + MAX_PAGE);
    }
  }

  @GET
  @Path("/jobs/{id}")
  public JobStatus job(@PathParam("id") String id) {
    JobStatus job = streams.jobs().get(id);
    if (job == null) {
      throw new NotFoundException("no job " + id);
    }
    return job;
  }

  @GET
  @Path("/batches/{id}")
  public BatchView batch(@PathParam("id") String id) {
    Submission submission = streams.submissions().get(id);
    BatchStatus status = streams.batches().get(id);
    if (submission == null && status == null) {
      throw new NotFoundException("no batch " + id);
    }
    return new BatchView(submission, status);
  }

  /** A tenant's unfinished jobs; a tenant the tracker has seen no job of has none. */
  @GET
  @Path("/tenants/{tenant}")
  public TenantStatus tenant(@PathParam("tenant") String tenant) {
    TenantStatus status = streams.tenants().get(tenant);
    return status == null ? new TenantStatus(tenant, 0, 0) : status;
  }

  /** Jobs {@code from} .. {@code from + limit - 1} of a batch, by their index in the submission. */
  @GET
  @Path("/batches/{id}/jobs")
  public List<JobStatus> batchJobs(@PathParam("id") String id, @QueryParam("from") @DefaultValue("0") int from,
      @QueryParam("limit") @DefaultValue("100") int limit) {
    if (from < 0 || limit < 1 || limit > MAX_PAGE) {
      throw new BadRequestException("from must be 0 or more and limit 1.." + MAX_PAGE);
    }
    List<JobStatus> page = new ArrayList<>();
    try (KeyValueIterator<String, JobStatus> jobs =
        streams.jobs().range(Ids.jobId(id, from), Ids.jobId(id, from + limit - 1))) {
      jobs.forEachRemaining(kv -> page.add(kv.value));
    }
    // The store is one per events partition and a range visits them one after another: sort the page.
    page.sort(Comparator.comparing(JobStatus::jobId));
    return page;
  }

  /** While Kafka Streams restores or rebalances, the stores cannot be read: say so, and that it passes. */
  @Provider
  public static class StoresUnavailable implements ExceptionMapper<InvalidStateStoreException> {
    @Override
    public Response toResponse(InvalidStateStoreException e) {
      return Response.status(Response.Status.SERVICE_UNAVAILABLE).type(MediaType.TEXT_PLAIN)
          .header("Retry-After", "1")
          .entity("tracker stores are not ready (" + e.getMessage() + "); retry shortly").build();
    }
  }
}
