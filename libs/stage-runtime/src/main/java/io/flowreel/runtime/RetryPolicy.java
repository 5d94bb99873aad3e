package io.flowreel.runtime;

import java.time.Duration;

/** Exponential backoff for transient failures: base, 2 base, 4 base ... capped, up to a number of tries. */
public record RetryPolicy(int maxTries, Duration base, Duration cap) {

  public RetryPolicy {
    if (maxTries < 1) {
      throw new IllegalArgumentException("maxTries must be at least 1, was " + maxTries);
    }
  }

  public static RetryPolicy defaults() {
    return new RetryPolicy(4, Duration.ofSeconds(1), Duration.ofSeconds(30));
  }

  /** Wait before try {@code next} (2, 3, ...). */
  public Duration backoffBefore(int next) {
    long factor = 1L << Math.min(30, next - 2);
    Duration wait = base.multipliedBy(factor);
    return wait.compareTo(cap) > 0 ? cap : wait;
  }
}
