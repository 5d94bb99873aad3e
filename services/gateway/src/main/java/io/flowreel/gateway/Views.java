package io.flowreel.gateway;

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

  public JobStatus jobStatus(String jobId) {
    return tracker.job(jobId).orElseThrow(() -> ApiException.notFound("no job " + jobId));
  }

  public ApiModel.Batch batch(String batchId) {
    TrackerClient.TrackedBatch batch = tracker.batch(batchId)
        .orElseThrow(() -> ApiException.notFound("no batch " + batchId));
    return ApiModel.Batch.of(batchId, batch.submission(), batch.status());
  }
}
