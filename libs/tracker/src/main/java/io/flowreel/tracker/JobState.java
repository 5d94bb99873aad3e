package io.flowreel.tracker;

/** The state of a job as the gateway API exposes it, derived only from stage events. */
public enum JobState {
  /** No event has said anything yet (first, as in every Flowreel enum). */
  UNKNOWN,
  /** Submitted, no stage has started it. */
  QUEUED,
  /** A stage is working on it, or it is between stages, or a stage is retrying. */
  RUNNING,
  /** PUBLISH succeeded: the outputs exist. */
  SUCCEEDED,
  /** A stage failed for good or dead-lettered the task. */
  FAILED,
  /** Cancelled by a control command. */
  CANCELLED;

  /** Terminal states are left only by a newer attempt (a retry from a stage). */
  public boolean isTerminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }
}
