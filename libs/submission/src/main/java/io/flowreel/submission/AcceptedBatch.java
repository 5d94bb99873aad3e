package io.flowreel.submission;

import io.flowreel.messages.BatchSubmission;
import io.flowreel.messages.JobSpec;
import java.util.List;

/** A batch whose every job was valid: the record of the batch and its jobs, in request order. */
public record AcceptedBatch(BatchSubmission submission, List<JobSpec> jobs) {

  public AcceptedBatch {
    jobs = List.copyOf(jobs);
  }
}
