package io.flowreel.contract;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A number per tenant, as operators write it in one environment variable: {@code studio-a=3,studio-b=1,*=2}.
 * {@code *} is every tenant not named; without it, {@link #of} gives the caller's fallback. Used for fair-share
 * weights and quotas (docs/scheduling.md).
 */
public record TenantSettings(Map<String, Double> values) {

  /** Any tenant: the value of a tenant not named. */
  public static final String EVERY_OTHER = "*";
  public static final TenantSettings NONE = new TenantSettings(Map.of());

  public TenantSettings {
    values = Map.copyOf(values);
  }

  /** The tenant's value, else the {@code *} value, else {@code fallback}. */
  public double of(String tenant, double fallback) {
    Double value = values.get(tenant);
    if (value == null) {
      value = values.get(EVERY_OTHER);
    }
    return value == null ? fallback : value;
  }

  /**
   * Parses {@code TENANT=NUMBER,...} (blank: none), each number {@code > 0}.
   *
   * @param what what the numbers are, for the error message ("weight", "queue quota")
   */
  public static TenantSettings parse(String text, String what) {
    Map<String, Double> values = new LinkedHashMap<>();
    if (text == null || text.isBlank()) {
      return NONE;
    }
    for (String pair : text.split(",")) {
      String[] parts = pair.trim().split("=", 2);
      if (parts.length != 2 || parts[0].isBlank()) {
        throw new IllegalArgumentException(what + " '" + pair.trim() + "' is not TENANT=NUMBER (or *=NUMBER)");
      }
      String tenant = parts[0].trim();
      double value;
      try {
        value = Double.parseDouble(parts[1].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(what + " of tenant " + tenant + " is not a number: " + parts[1].trim());
      }
      if (!(value > 0)) {
        throw new IllegalArgumentException(what + " of tenant " + tenant + " is " + value + ": it must be > 0");
      }
      if (values.put(tenant, value) != null) {
        throw new IllegalArgumentException(what + " of tenant " + tenant + " is given twice");
      }
    }
    return new TenantSettings(values);
  }
}
