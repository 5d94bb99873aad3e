package io.flowreel.tracker;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.flowreel.messages.BatchFinished;

/**
 * Job counts of one batch, stored as JSON in the {@code batches} store. Kept by moving a job from
 * its old state's count to its new one's ({@link #change}), so a job is counted once however often
 * its status is updated. UNKNOWN jobs count as queued: they exist but no stage runs them.
 */
@JsonIgnoreProperties(value = "done", allowGetters = true)
public record BatchStatus(
    String batchId,
    String tenant,
    long total,
    long queued,
    long running,
    long succeeded,
    long failed,
    long cancelled) {

  /** Before the batch's first job. */
  public static BatchStatus empty(String batchId, String tenant) {
    return new BatchStatus(batchId, tenant, 0, 0, 0, 0, 0, 0);
  }

  /** Jobs in a terminal state. */
  @JsonProperty("done")
  public long done() {
    return succeeded + failed + cancelled;
  }

  /**
   * The counts after one job moved from {@code before} to {@code after}.
   *
   * @param before the job's previous state, or null for a job the batch has not counted yet
   * @param after the job's new state, or null for a job that leaves the batch
   */
  public BatchStatus change(JobState before, JobState after) {
    BatchStatus next = this;
    if (before != null) {
      next = next.count(before, -1);
    }
    if (after != null) {
      next = next.count(after, +1);
    }
    return next;
  }

  /** What the tracker tells when every job of the batch has finished. */
  public BatchFinished finished() {
    return BatchFinished.newBuilder().setBatchId(batchId).setTenant(tenant).setTotal(total).setSucceeded(succeeded)
        .setFailed(failed).setCancelled(cancelled).setTimeMillis(System.currentTimeMillis()).build();
  }

  /** The counts after one of the batch's jobs changed state; the first change names the batch. */
  public BatchStatus apply(String batchId, JobChange change) {
    BatchStatus named = this.batchId != null ? this
        : new BatchStatus(batchId, change.tenant(), total, queued, running, succeeded, failed, cancelled);
    return named.change(change.before(), change.after());
  }

  private BatchStatus count(JobState state, int delta) {
    long q = queued;
    long r = running;
    long s = succeeded;
    long f = failed;
    long c = cancelled;
    switch (state) {
      case UNKNOWN, QUEUED -> q += delta;
      case RUNNING -> r += delta;
      case SUCCEEDED -> s += delta;
      case FAILED -> f += delta;
      case CANCELLED -> c += delta;
      default -> throw new IllegalArgumentException("no count for " + state);
    }
    return new BatchStatus(batchId, tenant, total + delta, q, r, s, f, c);
  }
}
