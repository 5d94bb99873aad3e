package io.flowreel.gateway;

import io.flowreel.contract.Ids;
import io.flowreel.tracker.JobStatus;
import jakarta.inject.Singleton;

/** Builds the API's job and batch resources from what the tracker knows. */
@Singleton
public class Views {

  private final TrackerClient tracker;
  private final OutputLinks links;

  Views(TrackerClient tracker, OutputLinks links) {
    this.tracker = tracker;
    this.links = links;
  }

  public ApiModel.Job job(JobStatus status) {
    return ApiModel.Job.of(status, links::link);
  }

  /**
   * The job, if {@code caller} may see it. Another tenant's job is answered exactly as a job that
   * does not exist, so ids cannot be probed. An id outside {@link Ids#JOB_ID} is refused before it
   * goes anywhere (the tracker's URL, a topic key, a log line), and is not echoed.
   */
  public JobStatus jobStatus(String jobId, Caller caller) {
    if (!Ids.isJobId(jobId)) {
      throw ApiException.badRequest("malformed job id: a job id is 1-128 letters, digits, '.', '_' or '-', "
          + "starting with a letter or digit");
    }
    return tracker.job(jobId).filter(job -> caller.mayAccess(job.tenant()))
        .orElseThrow(() -> ApiException.notFound("no job " + jobId));
  }

  /** The batch, if {@code caller} may see it; like {@link #jobStatus}, another tenant's is not found. */
  public ApiModel.Batch batch(String batchId, Caller caller) {
    if (!Ids.isBatchId(batchId)) {
      throw ApiException.badRequest("malformed batch id: a batch id is 1-121 letters, digits, '.', '_' or '-', "
          + "starting with a letter or digit");
    }
    TrackerClient.TrackedBatch batch = tracker.batch(batchId).filter(b -> caller.mayAccess(tenant(b)))
        .orElseThrow(() -> ApiException.notFound("no batch " + batchId));
    return ApiModel.Batch.of(batchId, batch.submission(), batch.status());
  }

  private static String tenant(TrackerClient.TrackedBatch batch) {
    if (batch.submission() != null) {
      return batch.submission().tenant();
    }
    return batch.status() != null ? batch.status().tenant() : null;
  }
}
