package io.flowreel.tracker;

/** Where one stage of one attempt of a job stands. */
public enum StageState {
  RUNNING,
  RETRYING,
  SUCCEEDED,
  FAILED,
  DEAD_LETTERED,
  CANCELLED;

  /** A finished stage ignores later STARTED, PROGRESS and RETRYING of the same attempt (out of order). */
  public boolean isFinished() {
    return this != RUNNING && this != RETRYING;
  }
}
