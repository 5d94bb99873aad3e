package io.flowreel.tracker.service;

import jakarta.inject.Singleton;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/** Ready when Kafka Streams runs (stores queryable); alive until it has failed for good. */
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
}
