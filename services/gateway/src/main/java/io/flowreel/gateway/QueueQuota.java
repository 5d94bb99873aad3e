package io.flowreel.gateway;

import io.flowreel.contract.TenantSettings;
import io.flowreel.tracker.TenantStatus;
import jakarta.inject.Singleton;
import java.util.OptionalLong;

/**
 * The most unfinished jobs each tenant may have ({@code flowreel.gateway.queue-quota}), checked against the
 * tracker's counts. Those lag the bus by the tracker's fold (well under a second on an idle farm), so a tenant
 * that submits several batches faster than that may overshoot by what it submitted meanwhile: a soft limit, as
 * docs/scheduling.md says, not an accounting one.
 */
@Singleton
public class QueueQuota {

  private final TenantSettings quotas;
  private final TrackerClient tracker;

  QueueQuota(GatewayConfig config, TrackerClient tracker) {
    this.quotas = TenantSettings.parse(config.gateway().queueQuota().orElse(""), "queue quota");
    this.tracker = tracker;
  }

  /** The tenant's quota, if it has one. */
  public OptionalLong of(String tenant) {
    double quota = quotas.of(tenant, Double.NaN);
    return Double.isNaN(quota) ? OptionalLong.empty() : OptionalLong.of((long) quota);
  }

  /** Refuses (429) a batch of {@code jobs} that would take the tenant over its quota. */
  public void admit(String tenant, int jobs) {
    OptionalLong quota = of(tenant);
    if (quota.isEmpty()) {
      return;
    }
    if (jobs > quota.getAsLong()) {
      throw ApiException.tooManyRequests("a batch of " + jobs + " jobs is larger than tenant " + tenant
          + "'s queue quota of " + quota.getAsLong() + " unfinished jobs: split it", 0);
    }
    TenantStatus status = tracker.tenant(tenant);
    if (status.open() + jobs > quota.getAsLong()) {
      throw ApiException.tooManyRequests("tenant " + tenant + " has " + status.open() + " unfinished jobs ("
          + status.queued() + " queued, " + status.running() + " running) and a queue quota of "
          + quota.getAsLong() + ": a batch of " + jobs + " would exceed it; submit it when "
          + (status.open() + jobs - quota.getAsLong()) + " more have finished", 0);
    }
  }
}
