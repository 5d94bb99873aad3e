package io.flowreel.contract;

import io.flowreel.messages.ControlAction;
import io.flowreel.messages.ControlCommand;

/**
 * How the latest control commands of a job and of its batch are read, by every reader of the control
 * topic (stage workers and the scheduler), so that they all agree.
 */
public final class ControlRules {

  private ControlRules() {}

  /**
   * Whether the newer of the two commands (either may be null) is CANCEL. Newest wins so that a job retried
   * (RESUME) after its batch was cancelled runs, and a batch cancelled after that retry stops it.
   */
  public static boolean cancelled(ControlCommand job, ControlCommand batch) {
    ControlCommand newest = job == null ? batch
        : batch == null || job.getTimeMillis() >= batch.getTimeMillis() ? job : batch;
    return newest != null && newest.getAction() == ControlAction.CANCEL;
  }

  /** The newest attempt the job's latest command announced, 1 if none. */
  public static int currentAttempt(ControlCommand job) {
    return job == null || job.getAttempt() == null ? 1 : job.getAttempt();
  }
}
