package io.flowreel.tracker;

/**
 * Keys of the tracker's by-time indexes ({@code jobs-by-time}, {@code batches-by-time}): {@code
 * tenant/<13-digit epoch ms>/id}, so one tenant's jobs or batches are one key range, in the order they were
 * submitted, and a time window is a sub-range. Tenants never contain '/' (ApiKeys.TENANT).
 */
public final class TimeIndex {

  private TimeIndex() {}

  public static String key(String tenant, long millis, String id) {
    return prefix(tenant, millis) + id;
  }

  /**
   * Below every key of {@code tenant} at {@code millis} or later, above every earlier one: the range {@code
   * [bound(t, since), bound(t, until)]} holds the keys from {@code since} (inclusive) to {@code until} (exclusive).
   */
  public static String bound(String tenant, long millis) {
    return prefix(tenant, Math.max(0, Math.min(millis, 9_999_999_999_999L)));
  }

  /** Whether {@code key} is one of {@code tenant}'s. */
  public static boolean ofTenant(String key, String tenant) {
    return key.startsWith(tenant + "/");
  }

  private static String prefix(String tenant, long millis) {
    return tenant + "/" + String.format("%013d", millis) + "/";
  }
}
