package io.flowreel.tracker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.KeyValue;

/**
 * The stuck-job rule: a job is stuck when it is QUEUED or RUNNING and the tracker has had no news of
 * it for longer than a bound, that is when its newest applied event ({@link JobStatus#lastEventMillis()})
 * is older than the bound. A denoise that reports a step every second is not stuck however long it
 * runs; a job whose worker hangs, whose stage has no worker, or whose stage cannot reach storage is.
 *
 * <p>The last event, not the time the job entered its state, because an operator wants "no progress
 * for N minutes": a job RUNNING for an hour through six stages is healthy, and one whose stage went
 * quiet ten minutes after a PROGRESS event is not. Duplicate and late events are not applied by
 * {@link JobStateMachine}, so they are no news; RETRYING events are (a stage is working on it). Event
 * times are the writers' clocks compared with the tracker's: keep the bound well above their skew.
 */
public final class StuckJobs {

  private static final Duration FASTEST_SCAN = Duration.ofMillis(100);
  private static final Duration SLOWEST_SCAN = Duration.ofSeconds(30);

  private final Duration bound;

  /** @param bound how long a QUEUED or RUNNING job may go without news before it counts as stuck */
  public StuckJobs(Duration bound) {
    if (bound.isNegative() || bound.isZero()) {
      throw new IllegalArgumentException("the stuck-job bound must be positive, not " + bound);
    }
    this.bound = bound;
  }

  /**
   * A job that has had no news for longer than the bound.
   *
   * @param jobId the job
   * @param batchId its batch
   * @param state QUEUED or RUNNING
   * @param currentStage the stage that reported last, or null while QUEUED before any stage
   * @param lastEventMillis time of its newest applied event: stuck since then
   */
  public record StuckJob(String jobId, String batchId, JobState state, String currentStage, long lastEventMillis) {}

  public Duration bound() {
    return bound;
  }

  /**
   * How often to apply the rule: a tenth of the bound, so that an alarm comes at most that late after
   * the bound, but no more often than every 100 ms nor less often than every 30 s (a scan reads every job
   * in the store).
   */
  public Duration scanInterval() {
    Duration tenth = bound.dividedBy(10);
    if (tenth.compareTo(FASTEST_SCAN) < 0) {
      return FASTEST_SCAN;
    }
    return tenth.compareTo(SLOWEST_SCAN) > 0 ? SLOWEST_SCAN : tenth;
  }

  /** {@code job} as a stuck job at {@code nowMillis}, or empty; exactly at the bound it is not stuck yet. */
  public Optional<StuckJob> check(JobStatus job, long nowMillis) {
    boolean waiting = job.state() == JobState.QUEUED || job.state() == JobState.RUNNING;
    if (!waiting || nowMillis - job.lastEventMillis() <= bound.toMillis()) {
      return Optional.empty();
    }
    return Optional.of(new StuckJob(job.jobId(), job.batchId(), job.state(), job.currentStage(),
        job.lastEventMillis()));
  }

  /**
   * Every stuck job at {@code nowMillis}, longest without news first.
   *
   * @param jobs entries of the {@code jobs} store (an {@code all()} of it)
   */
  public List<StuckJob> scan(Iterator<KeyValue<String, JobStatus>> jobs, long nowMillis) {
    List<StuckJob> stuck = new ArrayList<>();
    jobs.forEachRemaining(entry -> check(entry.value, nowMillis).ifPresent(stuck::add));
    stuck.sort(Comparator.comparingLong(StuckJob::lastEventMillis).thenComparing(StuckJob::jobId));
    return stuck;
  }
}
