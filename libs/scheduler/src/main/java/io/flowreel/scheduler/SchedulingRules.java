package io.flowreel.scheduler;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The operator's scheduling settings (docs/scheduling.md).
 *
 * @param weights each tenant's fair-share weight; a tenant not named has weight 1
 * @param lookahead tasks admitted to a stage beyond its number of workers: 0 keeps priorities exact (a task
 *     waits for no queued task of a lower priority), 1 or more hides the admission round trip from workers
 *     that finish a task, at the price of that many queued tasks a higher priority may wait behind
 * @param agedAfter a task waiting longer than this is "aged": every {@code agedEvery}-th admission goes to the
 *     oldest aged task, whatever its priority, so no priority starves
 * @param agedEvery see {@code agedAfter}
 */
public record SchedulingRules(Map<String, Double> weights, int lookahead, Duration agedAfter, int agedEvery) {

  public static final SchedulingRules DEFAULTS = new SchedulingRules(Map.of(), 0, Duration.ofMinutes(10), 10);

  public SchedulingRules {
    weights = Map.copyOf(weights);
    weights.forEach((tenant, weight) -> {
      if (!(weight > 0)) {
        throw new IllegalArgumentException("tenant " + tenant + " has weight " + weight + ": weights must be > 0");
      }
    });
    if (lookahead < 0) {
      throw new IllegalArgumentException("lookahead must be >= 0, not " + lookahead);
    }
    if (agedEvery < 1) {
      throw new IllegalArgumentException("agedEvery must be >= 1, not " + agedEvery);
    }
  }

  public double weight(String tenant) {
    return weights.getOrDefault(tenant, 1.0);
  }

  /** Parses {@code studio-a=3,studio-b=1} (blank: no weights). */
  public static Map<String, Double> parseWeights(String text) {
    Map<String, Double> weights = new LinkedHashMap<>();
    if (text == null || text.isBlank()) {
      return weights;
    }
    for (String pair : text.split(",")) {
      String[] parts = pair.trim().split("=", 2);
      if (parts.length != 2) {
        throw new IllegalArgumentException("weight '" + pair.trim() + "' is not TENANT=WEIGHT");
      }
      try {
        weights.put(parts[0].trim(), Double.parseDouble(parts[1].trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("weight of tenant " + parts[0].trim() + " is not a number: " + parts[1]);
      }
    }
    return weights;
  }
}
