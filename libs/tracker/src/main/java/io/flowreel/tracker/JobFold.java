package io.flowreel.tracker;

import io.flowreel.messages.StageEvent;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Folds one job's events into its status in the {@code jobs} store and tells the batch counts when, and
 * only when, the job's state changed ({@link JobChange}, keyed by batch id). Indexes the job by tenant and
 * submission time ({@code jobs-by-time}) once its QUEUED event says when it was submitted. An event the state machine
 * ignores (a duplicate, a superseded attempt) writes nothing and sends nothing.
 */
final class JobFold implements Processor<String, StageEvent, String, JobChange> {

  private ProcessorContext<String, JobChange> context;
  private KeyValueStore<String, JobStatus> jobs;
  private KeyValueStore<String, String> byTime;

  @Override
  public void init(ProcessorContext<String, JobChange> context) {
    this.context = context;
    this.jobs = context.getStateStore(TrackerTopology.JOBS_STORE);
    this.byTime = context.getStateStore(TrackerTopology.JOBS_BY_TIME_STORE);
  }

  @Override
  public void process(Record<String, StageEvent> event) {
    if (event.key() == null || event.value() == null) {
      return; // as the DSL's aggregations: no job to fold into
    }
    JobStatus before = jobs.get(event.key());
    JobStatus after = JobStateMachine.apply(before, event.value());
    if (after == before) {
      return; // ignored: apply returns the very same status
    }
    jobs.put(event.key(), after);
    if (after.submittedMillis() != 0 && (before == null || before.submittedMillis() == 0)) {
      byTime.put(TimeIndex.key(after.tenant(), after.submittedMillis(), after.jobId()), after.jobId());
    }
    JobState was = before == null ? null : before.state();
    if (was != after.state()) {
      context.forward(event.withKey(after.batchId()).withValue(new JobChange(after.tenant(), was, after.state())));
    }
  }
}
