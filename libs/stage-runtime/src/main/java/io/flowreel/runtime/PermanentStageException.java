package io.flowreel.runtime;

/**
 * A failure that retrying cannot fix (bad input, corrupt artifact, invalid settings): the job
 * fails at once and the task goes to the dead-letter topic with this message.
 */
public final class PermanentStageException extends RuntimeException {

  public PermanentStageException(String message, Throwable cause) {
    super(message, cause);
  }

  public PermanentStageException(String message) {
    super(message);
  }
}
