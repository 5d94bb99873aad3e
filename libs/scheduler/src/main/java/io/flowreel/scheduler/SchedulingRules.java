package io.flowreel.scheduler;

import io.flowreel.contract.TenantSettings;
import java.time.Duration;

/**
 * The operator's scheduling settings (docs/scheduling.md).
 *
 * @param weights each tenant's fair-share weight; a tenant not named (and no {@code *}) has weight 1
 * @param runningQuotas most tasks of a tenant running at once at each stage; a tenant not named (and no
 *     {@code *}) has none
 * @param lookahead tasks admitted to a stage beyond its number of workers: 0 keeps priorities exact (a task
 *     waits for no queued task of a lower priority), 1 or more hides the admission round trip from workers
 *     that finish a task, at the price of that many queued tasks a higher priority may wait behind
 * @param agedAfter a task waiting longer than this is "aged": every {@code agedEvery}-th admission goes to the
 *     oldest aged task, whatever its priority, so no priority starves
 * @param agedEvery see {@code agedAfter}
 */
public record SchedulingRules(TenantSettings weights, TenantSettings runningQuotas, int lookahead,
    Duration agedAfter, int agedEvery) {

  public static final SchedulingRules DEFAULTS =
      new SchedulingRules(TenantSettings.NONE, TenantSettings.NONE, 0, Duration.ofMinutes(10), 10);

  public SchedulingRules {
    if (lookahead < 0) {
      throw new IllegalArgumentException("lookahead must be >= 0, not " + lookahead);
    }
    if (agedEvery < 1) {
      throw new IllegalArgumentException("agedEvery must be >= 1, not " + agedEvery);
    }
  }

  public double weight(String tenant) {
    return weights.of(tenant, 1.0);
  }

  /** Most of the tenant's tasks running at once at one stage. */
  public int runningQuota(String tenant) {
    double quota = runningQuotas.of(tenant, Integer.MAX_VALUE);
    return quota >= Integer.MAX_VALUE ? Integer.MAX_VALUE : Math.max(1, (int) quota);
  }
}
