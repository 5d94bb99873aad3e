package io.flowreel.runtime;

import java.time.Duration;

/**
 * How one stage worker connects and behaves.
 *
 * @param lockRenewal how often a running task's share-group lock is renewed; well under the
 *     group's {@code share.record.lock.duration.ms}
 * @param maxDeliveries a task delivered this many times without finishing (its workers crashed or
 *     hung) is dead-lettered instead of tried again; below the broker's delivery limit, so the
 *     broker never archives a task silently
 */
public record WorkerConfig(
    String bootstrapServers,
    String workerId,
    String workBucket,
    String outputBucket,
    RetryPolicy retry,
    Duration lockRenewal,
    Duration progressInterval,
    int maxDeliveries) {

  public static WorkerConfig defaults(String bootstrapServers, String workerId) {
    return new WorkerConfig(bootstrapServers, workerId, "flowreel-work", "flowreel-output", RetryPolicy.defaults(),
        Duration.ofSeconds(10), Duration.ofSeconds(1), 4);
  }

  public WorkerConfig withRetry(RetryPolicy policy) {
    return new WorkerConfig(bootstrapServers, workerId, workBucket, outputBucket, policy, lockRenewal,
        progressInterval, maxDeliveries);
  }

  public WorkerConfig withLockRenewal(Duration interval) {
    return new WorkerConfig(bootstrapServers, workerId, workBucket, outputBucket, retry, interval,
        progressInterval, maxDeliveries);
  }
}
