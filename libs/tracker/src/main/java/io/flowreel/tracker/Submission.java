package io.flowreel.tracker;

import io.flowreel.messages.BatchSubmission;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A batch as the gateway accepted it (from the batches topic), without Avro types: how many jobs
 * it has, which idempotency key and request created it, and where its webhooks go (null: none; jobs with an
 * address of their own in {@code jobCallbackUrls}).
 */
public record Submission(String batchId, String tenant, String idempotencyKey, String requestSha256, int total,
    long createdAtMillis, String callbackUrl, Map<String, String> jobCallbackUrls) {

  public Submission {
    jobCallbackUrls = jobCallbackUrls == null ? Map.of() : Map.copyOf(jobCallbackUrls);
  }

  public static Submission of(BatchSubmission batch) {
    return new Submission(batch.getBatchId(), batch.getTenant(), batch.getIdempotencyKey(),
        batch.getRequestSha256(), batch.getTotal(), batch.getCreatedAtMillis(), batch.getCallbackUrl(),
        batch.getJobCallbackUrls().entrySet().stream()
            .collect(Collectors.toMap(e -> e.getKey().toString(), e -> e.getValue().toString())));
  }
}
