package io.flowreel.tracker.service;

import io.flowreel.tracker.JobStatus;
import io.flowreel.tracker.StuckJobs;
import io.flowreel.tracker.StuckJobs.StuckJob;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.jboss.logging.Logger;

/**
 * Applies {@link StuckJobs} to this instance's {@code jobs} store every {@link StuckJobs#scanInterval()}
 * and raises the alarm: a WARN line when a job becomes stuck and another when it no longer is (both
 * at WARN, so that a log filtered to warnings has both edges of every alarm), the
 * gauge {@code flowreel.tracker.jobs.stuck}, and the {@code stuck-jobs} health check of the
 * {@code alarms} group ({@link TrackerHealth}), which reads {@link #lastScan()}. With several
 * tracker instances each scans the partitions it owns.
 */
@Singleton
public class StuckJobsAlarm {

  private static final Logger LOG = Logger.getLogger(StuckJobsAlarm.class);
  private static final int LOGGED_PER_SCAN = 20;

  /** What one scan found, for the health check. */
  public record Scan(Instant at, List<StuckJob> stuck) {}

  private final TrackerStreams streams;
  private final StuckJobs rule;
  private volatile Scan lastScan;
  /** Jobs the previous scan found stuck; only the scanning thread touches it. */
  private Set<String> stuckBefore = Set.of();
  private ScheduledExecutorService scanner;

  StuckJobsAlarm(TrackerStreams streams, TrackerConfig config, MeterRegistry metrics) {
    this.streams = streams;
    this.rule = new StuckJobs(config.tracker().stuckAfter());
    Gauge.builder("flowreel.tracker.jobs.stuck", this, StuckJobsAlarm::stuckCount)
        .description("QUEUED or RUNNING jobs without an event for longer than flowreel.tracker.stuck-after")
        .register(metrics);
  }

  void onStart(@Observes StartupEvent event) {
    scanner = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread thread = new Thread(task, "stuck-jobs-scan");
      thread.setDaemon(true);
      return thread;
    });
    long every = rule.scanInterval().toMillis();
    scanner.scheduleWithFixedDelay(this::scanOnce, every, every, TimeUnit.MILLISECONDS);
    LOG.infof("jobs QUEUED or RUNNING without an event for more than %s are reported stuck (scan every %d ms)",
        rule.bound(), every);
  }

  void onStop(@Observes ShutdownEvent event) {
    if (scanner != null) {
      scanner.shutdownNow();
    }
  }

  public Duration bound() {
    return rule.bound();
  }

  /** The newest scan, or null before the first one. */
  public Scan lastScan() {
    return lastScan;
  }

  private double stuckCount() {
    Scan scan = lastScan;
    return scan == null ? 0 : scan.stuck().size();
  }

  private void scanOnce() {
    // An exception would end the scheduled scans for good: report it and try again next time.
    try {
      if (streams.state() != KafkaStreams.State.RUNNING) {
        return; // restoring or rebalancing: the stores cannot be read, keep the last answer
      }
      long now = System.currentTimeMillis();
      List<StuckJob> stuck;
      try (KeyValueIterator<String, JobStatus> jobs = streams.jobs().all()) {
        stuck = rule.scan(jobs, now);
      }
      report(stuck);
      lastScan = new Scan(Instant.ofEpochMilli(now), List.copyOf(stuck));
    } catch (InvalidStateStoreException e) {
      LOG.debugf("stuck-jobs scan skipped, stores not readable: %s", e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("stuck-jobs scan failed", e);
    }
  }

  private void report(List<StuckJob> stuck) {
    Set<String> stuckNow = stuck.stream().map(StuckJob::jobId).collect(Collectors.toSet());
    List<StuckJob> newlyStuck = stuck.stream().filter(job -> !stuckBefore.contains(job.jobId())).toList();
    // A whole batch can go stuck at once (a stage without workers): name a few, count the rest.
    for (StuckJob job : newlyStuck.subList(0, Math.min(LOGGED_PER_SCAN, newlyStuck.size()))) {
      LOG.warnf("job %s of batch %s is stuck: %s, no event since %s (more than %s)", job.jobId(), job.batchId(),
          describe(job), Instant.ofEpochMilli(job.lastEventMillis()), rule.bound());
    }
    if (newlyStuck.size() > LOGGED_PER_SCAN) {
      LOG.warnf("and %d more jobs are stuck (%d in all)", newlyStuck.size() - LOGGED_PER_SCAN, stuck.size());
    }
    List<String> cleared = stuckBefore.stream().filter(jobId -> !stuckNow.contains(jobId)).sorted().toList();
    for (String jobId : cleared.subList(0, Math.min(LOGGED_PER_SCAN, cleared.size()))) {
      JobStatus job = streams.jobs().get(jobId);
      LOG.warnf("job %s is no longer stuck: %s", jobId, job == null ? "gone" : job.state());
    }
    if (cleared.size() > LOGGED_PER_SCAN) {
      LOG.warnf("and %d more jobs are no longer stuck (%d still are)", cleared.size() - LOGGED_PER_SCAN, stuck.size());
    }
    stuckBefore = stuckNow;
  }

  /** "QUEUED", or "RUNNING at DENOISE". */
  static String describe(StuckJob job) {
    return job.currentStage() == null ? job.state().name() : job.state() + " at " + job.currentStage();
  }
}
