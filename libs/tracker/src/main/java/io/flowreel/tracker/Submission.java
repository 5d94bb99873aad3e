package io.flowreel.tracker;

import io.flowreel.messages.BatchSubmission;

/**
 * A batch as the gateway accepted it (from the batches topic), without Avro types: how many jobs
 * it has, which idempotency key and request created it, and where its webhooks go (null: none).
 */
public record Submission(String batchId, String tenant, String idempotencyKey, String requestSha256, int total,
    long createdAtMillis, String callbackUrl) {

  public static Submission of(BatchSubmission batch) {
    return new Submission(batch.getBatchId(), batch.getTenant(), batch.getIdempotencyKey(),
        batch.getRequestSha256(), batch.getTotal(), batch.getCreatedAtMillis(), batch.getCallbackUrl());
  }
}
