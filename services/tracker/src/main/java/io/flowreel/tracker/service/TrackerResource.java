package io.flowreel.tracker.service;

import io.flowreel.contract.Ids;
import io.flowreel.tracker.BatchStatus;
import io.flowreel.tracker.JobStatus;
import io.flowreel.tracker.Submission;
import io.flowreel.tracker.TenantStatus;
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
