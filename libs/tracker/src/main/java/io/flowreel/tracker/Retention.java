package io.flowreel.tracker;

import java.time.Duration;

/**
 * When a finished job's stored data falls due for deletion. A job's work objects (conditioning,
 * latents, checkpoints, frames of every attempt) are kept {@code work} after its last event once it
 * is SUCCEEDED, FAILED or CANCELLED, long enough for a retry from a stage; a published job's outputs
 * are kept {@code outputs} after it succeeded. A retry makes the job unfinished again, so nothing of
 * it falls due while the retry runs.
 *
 * <p>Scans ask about a window {@code (since, now]} of due times: each due deletion belongs to exactly
 * one scan, so a scanner needs to remember nothing but when it last scanned (0 before its first scan:
 * everything already due).
 */
public record Retention(Duration work, Duration outputs) {

  public Retention {
    if (work.isNegative() || outputs.isNegative()) {
      throw new IllegalArgumentException("retention cannot be negative: work " + work + ", outputs " + outputs);
    }
  }

  /**
   * A job the gateway cancelled while queued is not due until a stage has dropped its task: deleting its cancel
   * command (with its work) earlier would let that stage run it.
   */
  public boolean workDue(JobStatus job, long sinceMillis, long nowMillis) {
    return job.state().isTerminal() && !job.dropPending()
        && within(job.lastEventMillis() + work.toMillis(), sinceMillis, nowMillis);
  }

  public boolean outputsDue(JobStatus job, long sinceMillis, long nowMillis) {
    return job.state() == JobState.SUCCEEDED && within(job.lastEventMillis() + outputs.toMillis(), sinceMillis, nowMillis);
  }

  /**
   * Whether the control topic may hold a command keyed by this job: a cancel, or the RESUME of a retry
   * (attempt above 1). Jobs that never had one need no tombstone.
   */
  public static boolean mayHaveControlCommand(JobStatus job) {
    return job.state() == JobState.CANCELLED || job.attempt() > 1;
  }

  private static boolean within(long due, long since, long now) {
    return due > since && due <= now;
  }
}
