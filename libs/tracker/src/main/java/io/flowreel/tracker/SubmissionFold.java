package io.flowreel.tracker;

import io.flowreel.messages.BatchSubmission;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps each accepted batch ({@code submissions}) and indexes it by tenant and submission time ({@code
 * batches-by-time}), so a tenant's batches are listed newest first without reading the others'. A tombstone
 * removes both.
 */
final class SubmissionFold implements Processor<String, BatchSubmission, Void, Void> {

  private KeyValueStore<String, Submission> submissions;
  private KeyValueStore<String, String> byTime;

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    submissions = context.getStateStore(TrackerTopology.SUBMISSIONS_STORE);
    byTime = context.getStateStore(TrackerTopology.BATCHES_BY_TIME_STORE);
  }

  @Override
  public void process(Record<String, BatchSubmission> record) {
    if (record.key() == null) {
      return;
    }
    Submission before = submissions.get(record.key());
    if (before != null) {
      byTime.delete(TimeIndex.key(before.tenant(), before.createdAtMillis(), before.batchId()));
    }
    if (record.value() == null) {
      submissions.delete(record.key());
      return;
    }
    Submission after = Submission.of(record.value());
    submissions.put(record.key(), after);
    byTime.put(TimeIndex.key(after.tenant(), after.createdAtMillis(), after.batchId()), after.batchId());
  }
}
