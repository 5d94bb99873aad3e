package io.flowreel.submission;

import java.util.List;
import java.util.Locale;

/**
 * A batch request as the client sent it, parsed and type-checked but not yet resolved against a
 * pack: the shared defaults (every field unset when the request has none) and the jobs in order.
 *
 * <p>Three forms are accepted: a JSON object {@code {"defaults": {...}, "jobs": [...]}}, a bare JSON
 * array of jobs, and JSON Lines (one job per line, an optional first line {@code {"defaults": {...}}}).
 */
public record BatchRequest(JobRequest defaults, List<JobRequest> jobs, String callbackUrl) {

  public static final int DEFAULT_MAX_JOBS = 10_000;
  public static final String JSON = "application/json";
  public static final List<String> JSON_LINES = List.of("application/x-ndjson", "application/jsonl",
      "application/x-jsonlines");

  public BatchRequest {
    jobs = List.copyOf(jobs);
  }

  /** Parses with the gateway's default limit of {@value #DEFAULT_MAX_JOBS} jobs. */
  public static BatchRequest parse(byte[] body, String contentType) {
    return parse(body, contentType, DEFAULT_MAX_JOBS);
  }

  /**
   * Parses {@code body} as JSON Lines when {@code contentType} is one of {@link #JSON_LINES}, as JSON
   * when it is {@value #JSON} or absent; throws {@link InvalidBatchException} naming every problem
   * found (unknown fields, wrong types, malformed JSON with its location, no jobs, too many jobs).
   */
  public static BatchRequest parse(byte[] body, String contentType, int maxJobs) {
    String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    BatchRequestReader reader = new BatchRequestReader(maxJobs);
    if (JSON_LINES.contains(mediaType)) {
      return reader.readJsonLines(body);
    }
    if (mediaType.isEmpty() || mediaType.equals(JSON)) {
      return reader.readJson(body);
    }
    throw new InvalidBatchException(List.of(BatchProblem.ofBatch("content type '" + contentType
        + "' is not supported; send " + JSON + " or JSON Lines (" + String.join(", ", JSON_LINES) + ")")));
  }
}
