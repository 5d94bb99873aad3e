package io.flowreel.tracker;

import io.flowreel.contract.Topics;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The tracker's Kafka Streams topology, built in this one place (like a Quarkus
 * {@code TopologyProducer}); names are constants the tests and the service reuse.
 *
 * <pre>
 * flowreel.events (StageEvent by job id)
 *   -> aggregate with JobStateMachine.apply        -> store "jobs"    (JobStatus by job id)
 *   -> re-key each job's status by batch id        -> repartition "jobs-by-batch"
 *   -> aggregate: add the new status, remove the old -> store "batches" (BatchStatus by batch id)
 * flowreel.batches (BatchSubmission by batch id)   -> store "submissions" (Submission by batch id)
 * </pre>
 *
 * Job and batch status come only from events; the batches topic adds what only the gateway knows (how
 * many jobs a batch has, which idempotency key created it). The batch aggregation is a KTable
 * aggregation, so Kafka Streams hands it each job's previous status (subtractor) and new status
 * (adder): a job's update changes the counts by the difference and a job is counted once.
 */
public final class TrackerTopology {

  /** JobStatus by job id. */
  public static final String JOBS_STORE = "jobs";
  /** BatchStatus by batch id. */
  public static final String BATCHES_STORE = "batches";
  /** Submission by batch id: each batch's total and idempotency key. */
  public static final String SUBMISSIONS_STORE = "submissions";
  /** Name of the repartition step that re-keys job status by batch id. */
  public static final String JOBS_BY_BATCH = "jobs-by-batch";

  private TrackerTopology() {
  }

  /**
   * What the tracker does with a record it cannot read (garbage, a schema newer than it knows) or
   * cannot fold: Kafka Streams logs it, sends it to {@code flowreel.dlq.unreadable} with the cause
   * in its headers ({@code __streams.errors.*}) and goes on. Without this one bad record stops the
   * stream thread again and again, and every status call with it.
   */
  public static Properties errorHandling() {
    Properties props = new Properties();
    props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueExceptionHandler.class.getName());
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueProcessingExceptionHandler.class.getName());
    props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, Topics.UNREADABLE.name());
    return props;
  }

  public static Topology build() {
    StreamsBuilder builder = new StreamsBuilder();

    KTable<String, JobStatus> jobs = builder
        .stream(Topics.EVENTS.name(), Consumed.with(Topics.EVENTS.keySerde(), Topics.EVENTS.valueSerde()))
        .groupByKey()
        .aggregate(
            () -> null, // JobStateMachine.apply starts a job from its first event
            (jobId, event, job) -> JobStateMachine.apply(job, event),
            Materialized.<String, JobStatus, KeyValueStore<Bytes, byte[]>>as(JOBS_STORE)
                .withKeySerde(Serdes.String())
                .withValueSerde(JsonSerde.jobStatus()));

    jobs
        .groupBy((jobId, job) -> KeyValue.pair(job.batchId(), job),
            Grouped.<String, JobStatus>as(JOBS_BY_BATCH)
                .withKeySerde(Serdes.String())
                .withValueSerde(JsonSerde.jobStatus()))
        .aggregate(
            () -> BatchStatus.empty(null, null), // the first job's add() names the batch
            (batchId, job, batch) -> batch.add(job),
            (batchId, job, batch) -> batch.remove(job),
            Materialized.<String, BatchStatus, KeyValueStore<Bytes, byte[]>>as(BATCHES_STORE)
                .withKeySerde(Serdes.String())
                .withValueSerde(JsonSerde.batchStatus()));

    builder.table(Topics.BATCHES.name(), Consumed.with(Topics.BATCHES.keySerde(), Topics.BATCHES.valueSerde()))
        .mapValues(Submission::of,
            Materialized.<String, Submission, KeyValueStore<Bytes, byte[]>>as(SUBMISSIONS_STORE)
                .withKeySerde(Serdes.String())
                .withValueSerde(JsonSerde.submission()));

    return builder.build();
  }
}
