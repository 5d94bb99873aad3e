package io.flowreel.scheduler.service;

import io.flowreel.contract.Stages;
import jakarta.inject.Singleton;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/** Ready when Kafka Streams runs, with each stage's worker count; alive until it has failed for good. */
final class SchedulerHealth {

  private SchedulerHealth() {}

  @Readiness
  @Singleton
  static class Admitting implements HealthCheck {
    private final SchedulerStreams streams;

    Admitting(SchedulerStreams streams) {
      this.streams = streams;
    }

    @Override
    public HealthCheckResponse call() {
      KafkaStreams.State state = streams.state();
      HealthCheckResponseBuilder response = HealthCheckResponse.named("scheduler-streams")
          .status(state == KafkaStreams.State.RUNNING).withData("state", state.name());
      if (streams.capacity() != null) {
        streams.capacity().snapshot().forEach((stage, workers) -> response.withData(Stages.id(stage) + "-workers",
            workers));
      }
      return response.build();
    }
  }

  @Liveness
  @Singleton
  static class StreamsAlive implements HealthCheck {
    private final SchedulerStreams streams;

    StreamsAlive(SchedulerStreams streams) {
      this.streams = streams;
    }

    @Override
    public HealthCheckResponse call() {
      KafkaStreams.State state = streams.state();
      return HealthCheckResponse.named("scheduler-streams")
          .status(state != KafkaStreams.State.ERROR && state != KafkaStreams.State.NOT_RUNNING)
          .withData("state", state.name()).build();
    }
  }
}
