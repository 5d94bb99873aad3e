package io.flowreel.gateway;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the event streams open on this gateway, per tenant and in total, and refuses one over
 * either cap. Each count is taken and checked in one atomic step, so a burst of requests cannot
 * open more than the cap even for a moment.
 */
final class StreamSlots {

  static final String PER_TENANT = "flowreel.gateway.max-event-streams-per-tenant";
  static final String TOTAL = "flowreel.gateway.max-event-streams";
  /** Streams last minutes to hours: a slot frees when one of them ends, not at a predictable time. */
  static final int RETRY_AFTER_SECONDS = 10;

  private final int maxPerTenant;
  private final int maxTotal;
  /** Tenants with at least one stream open; a tenant leaves when its last one ends. */
  private final Map<String, Integer> perTenant = new ConcurrentHashMap<>();
  private final AtomicInteger total = new AtomicInteger();

  StreamSlots(int maxPerTenant, int maxTotal) {
    this.maxPerTenant = maxPerTenant;
    this.maxTotal = maxTotal;
  }

  /**
   * Takes a slot for {@code tenant}, or throws 429 naming the cap; {@code poll} is the route a
   * refused client can poll instead. The returned release gives the slot back (call it once).
   */
  Runnable take(String tenant, String poll) {
    int[] open = new int[1];
    perTenant.compute(tenant, (t, n) -> {
      open[0] = n == null ? 0 : n;
      return open[0] < maxPerTenant ? open[0] + 1 : n;
    });
    if (open[0] >= maxPerTenant) {
      throw ApiException.tooManyRequests("tenant '" + tenant + "' has " + open[0] + " event streams open, at most "
          + maxPerTenant + " (" + PER_TENANT + "): close one, or poll GET " + poll, RETRY_AFTER_SECONDS);
    }
    int all = total.getAndUpdate(n -> n < maxTotal ? n + 1 : n);
    if (all >= maxTotal) {
      releaseTenant(tenant);
      throw ApiException.tooManyRequests("this gateway has " + all + " event streams open, at most " + maxTotal
          + " (" + TOTAL + "): retry later, or poll GET " + poll, RETRY_AFTER_SECONDS);
    }
    return () -> {
      total.decrementAndGet();
      releaseTenant(tenant);
    };
  }

  int open() {
    return total.get();
  }

  private void releaseTenant(String tenant) {
    perTenant.computeIfPresent(tenant, (t, n) -> n > 1 ? n - 1 : null);
  }
}
