package io.flowreel.runtime;

import java.io.IOException;

/**
 * The S3 server did not answer, or answered that it cannot serve now (5xx, SlowDown). Nothing is
 * wrong with the task: the worker holds it, stops taking others and tries again once storage
 * answers, without spending the job's tries ({@link TaskOutcomes.Hold}).
 */
public final class StorageUnavailableException extends IOException {

  public StorageUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
