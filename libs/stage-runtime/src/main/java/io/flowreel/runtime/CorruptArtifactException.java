package io.flowreel.runtime;

/**
 * A stored artifact is missing or does not match its reference. Retrying cannot help: the task
 * fails at once (dead letter with this message) and can be re-driven from the stage that made it.
 */
public final class CorruptArtifactException extends RuntimeException {

  public CorruptArtifactException(String message) {
    super(message);
  }

  public CorruptArtifactException(String message, Throwable cause) {
    super(message, cause);
  }
}
