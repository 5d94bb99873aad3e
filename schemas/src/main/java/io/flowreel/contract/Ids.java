package io.flowreel.contract;

import java.util.regex.Pattern;

/**
 * The id formats every service relies on. A job id names its batch and its place in it
 * ({@code <batch id>-000042}), so a batch's jobs are one sorted key range; every id can be part of
 * an object key, a topic key and a URL path without escaping.
 */
public final class Ids {

  /** Job ids: 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit. */
  public static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  /** Batch ids leave room for the job suffix within {@link #JOB_ID}. */
  public static final Pattern BATCH_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,120}");
  /** Generated batch ids: this prefix and 24 hex digits. */
  public static final String BATCH_PREFIX = "b-";
  public static final int BATCH_HEX_DIGITS = 24;
  /** A batch id the gateway made, as opposed to a job id (which adds {@code -NNNNNN}). */
  public static final Pattern GENERATED_BATCH_ID = Pattern.compile(BATCH_PREFIX + "[0-9a-f]{" + BATCH_HEX_DIGITS + "}");

  private Ids() {}

  /** Job {@code index} of a batch; ids sort in submission order. */
  public static String jobId(String batchId, int index) {
    return String.format("%s-%06d", batchId, index);
  }

  public static boolean isJobId(String id) {
    return id != null && JOB_ID.matcher(id).matches();
  }

  public static boolean isBatchId(String id) {
    return id != null && BATCH_ID.matcher(id).matches();
  }
}
