package io.flowreel.gateway;

import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the tracker can answer status queries: without it the gateway could accept batches
 * but not tell anyone where they are. (The broker is checked at start-up: the transactional
 * producer does not start without it.)
 */
@Readiness
@Singleton
public class GatewayHealth implements HealthCheck {

  private final TrackerClient tracker;

  GatewayHealth(TrackerClient tracker) {
    this.tracker = tracker;
  }

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("tracker").status(tracker.ready()).withData("url", tracker.base().toString())
        .build();
  }
}
