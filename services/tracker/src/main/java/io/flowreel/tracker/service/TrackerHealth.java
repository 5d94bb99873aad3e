package io.flowreel.tracker.service;

import io.flowreel.tracker.StuckJobs.StuckJob;
import io.smallrye.health.api.HealthGroup;
import jakarta.inject.Singleton;
import java.time.Instant;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when Kafka Streams runs (stores queryable); alive until it has failed for good. The
 * {@code alarms} group ({@code /q/health/group/alarms}) is DOWN while a job is stuck.
 */
final class TrackerHealth {

  private TrackerHealth() {}

  @Readiness
  @Singleton
  static class StoresReady implements HealthCheck {
    private final TrackerStreams streams;

    StoresReady(TrackerStreams streams) {
      this.streams = streams;
    }

    @Override
    public HealthCheckResponse call() {
      KafkaStreams.State state = streams.state();
      return HealthCheckResponse.named("tracker-streams").status(state == KafkaStreams.State.RUNNING)
          .withData("state", state.name()).build();
    }
  }

  @Liveness
  @Singleton
  static class StreamsAlive implements HealthCheck {
    private final TrackerStreams streams;

    StreamsAlive(TrackerStreams streams) {
      this.streams = streams;
    }

    @Override
    public HealthCheckResponse call() {
      KafkaStreams.State state = streams.state();
      return HealthCheckResponse.named("tracker-streams")
          .status(state != KafkaStreams.State.ERROR && state != KafkaStreams.State.NOT_RUNNING)
          .withData("state", state.name()).build();
    }
  }

  /**
   * DOWN while the last scan found stuck jobs: their number, the bound, and the longest without news.
   * Deliberately in a group of its own, neither readiness nor liveness: a stuck job is trouble in a
   * stage or the farm, not in the tracker, and taking the tracker out of service (or restarting it)
   * would hide the status of every job, the stuck ones included, and cure nothing.
   */
  @HealthGroup("alarms")
  @Singleton
  static class NoStuckJobs implements HealthCheck {
    /** Jobs named in the answer: enough to start looking, few enough to read. */
    static final int SHOWN = 5;

    private final StuckJobsAlarm alarm;

    NoStuckJobs(StuckJobsAlarm alarm) {
      this.alarm = alarm;
    }

    @Override
    public HealthCheckResponse call() {
      StuckJobsAlarm.Scan scan = alarm.lastScan();
      HealthCheckResponseBuilder response = HealthCheckResponse.named("stuck-jobs")
          .withData("bound", alarm.bound().toString());
      if (scan == null) {
        return response.up().withData("scanned", "not yet").build();
      }
      response.status(scan.stuck().isEmpty()).withData("scanned", scan.at().toString())
          .withData("stuck", scan.stuck().size());
      for (StuckJob job : scan.stuck().subList(0, Math.min(SHOWN, scan.stuck().size()))) {
        response.withData(job.jobId(), StuckJobsAlarm.describe(job) + " since "
            + Instant.ofEpochMilli(job.lastEventMillis()));
      }
      return response.build();
    }
  }
}
