package io.flowreel.tracker;

/**
 * A tenant's unfinished jobs, all batches together, stored as JSON in the {@code tenants} store: what the
 * gateway's queue quota is checked against. Kept, as {@link BatchStatus} is, by moving a job between counts on
 * each change of its state. UNKNOWN jobs count as queued.
 */
public record TenantStatus(String tenant, long queued, long running) {

  /** Jobs not finished yet. */
  public long open() {
    return queued + running;
  }

  /** The counts after one of the tenant's jobs changed state. */
  public TenantStatus apply(String tenant, JobChange change) {
    return new TenantStatus(tenant, queued + delta(change, JobState.QUEUED), running + delta(change, JobState.RUNNING));
  }

  private static long delta(JobChange change, JobState counted) {
    return (isCounted(change.after(), counted) ? 1 : 0) - (isCounted(change.before(), counted) ? 1 : 0);
  }

  private static boolean isCounted(JobState state, JobState counted) {
    return state == counted || state == JobState.UNKNOWN && counted == JobState.QUEUED;
  }
}
