package io.flowreel.tracker;

import io.flowreel.contract.Topics;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The tracker's Kafka Streams topology, built in this one place (like a Quarkus
 * {@code TopologyProducer}); names are constants the tests and the service reuse.
 *
 * <pre>
 * flowreel.events (StageEvent by job id)
 *   -> JobFold: JobStateMachine.apply            -> store "jobs"    (JobStatus by job id)
 *      and, when the job's state changed, a JobChange by batch id -> repartition "job-changes"
 *   -> aggregate: move the job between counts    -> store "batches" (BatchStatus by batch id)
 *      and, when every job of the batch is done  -> flowreel.batches.finished (BatchFinished by batch id)
 *   and the same JobChange by tenant             -> repartition "tenant-changes"
 *   -> aggregate: move the job between counts    -> store "tenants" (TenantStatus by tenant: the queue quota's)
 * flowreel.batches (BatchSubmission by batch id)   -> store "submissions" (Submission by batch id)
 *                                                    and "batches-by-time" (batch id by tenant and time)
 * JobFold also indexes each job by tenant and submission time -> store "jobs-by-time"
 * </pre>
 *
 * Job and batch status come only from events; the batches topic adds what only the gateway knows (how
 * many jobs a batch has, which idempotency key created it). Only a change of a job's state crosses to
 * the batch counts, as a few bytes (once or twice in a job's life of a dozen or more events): a
 * KTable aggregation would send the job's whole old and new status through the repartition topic on
 * every event. Counting changes is exact because the tracker runs exactly once (docs/tracker.md).
 */
public final class TrackerTopology {

  /** JobStatus by job id. */
  public static final String JOBS_STORE = "jobs";
  /** BatchStatus by batch id. */
  public static final String BATCHES_STORE = "batches";
  /** Submission by batch id: each batch's total and idempotency key. */
  public static final String SUBMISSIONS_STORE = "submissions";
  /** Job id by {@link TimeIndex} key: each tenant's jobs in submission order. */
  public static final String JOBS_BY_TIME_STORE = "jobs-by-time";
  /** Batch id by {@link TimeIndex} key: each tenant's batches in submission order. */
  public static final String BATCHES_BY_TIME_STORE = "batches-by-time";
  /** Name of the repartition step that carries each job's state changes by batch id. */
  public static final String JOB_CHANGES = "job-changes";
  /** TenantStatus by tenant: each tenant's unfinished jobs. */
  public static final String TENANTS_STORE = "tenants";
  /** Name of the repartition step that carries each job's state changes by tenant. */
  public static final String TENANT_CHANGES = "tenant-changes";

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

    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(JOBS_STORE), Serdes.String(),
        JsonSerde.jobStatus()));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(JOBS_BY_TIME_STORE),
        Serdes.String(), Serdes.String()));
    KStream<String, JobChange> changes = builder
        .stream(Topics.EVENTS.name(), Consumed.with(Topics.EVENTS.keySerde(), Topics.EVENTS.valueSerde()))
        .process(JobFold::new, Named.as("job-fold"), JOBS_STORE, JOBS_BY_TIME_STORE);
    KTable<String, BatchStatus> batches = changes
        .repartition(Repartitioned.<String, JobChange>as(JOB_CHANGES)
            .withKeySerde(Serdes.String())
            .withValueSerde(JobChange.serde()))
        .groupByKey(Grouped.with(Serdes.String(), JobChange.serde()))
        .aggregate(
            () -> BatchStatus.empty(null, null), // the first change names the batch
            (batchId, change, batch) -> batch.apply(batchId, change),
            Materialized.<String, BatchStatus, KeyValueStore<Bytes, byte[]>>as(BATCHES_STORE)
                .withKeySerde(Serdes.String())
                .withValueSerde(JsonSerde.batchStatus()));
    // Whenever a batch's last job finishes: what the batch's webhook is made of (at-least-once is enough there,
    // and a batch a retry reopened finishes, and says so, again).
    batches.toStream()
        .filter((batchId, batch) -> batch != null && batch.total() > 0 && batch.done() == batch.total())
        .mapValues(BatchStatus::finished)
        .to(Topics.BATCHES_FINISHED.name(),
            Produced.with(Topics.BATCHES_FINISHED.keySerde(), Topics.BATCHES_FINISHED.valueSerde()));
    changes
        .selectKey((batchId, change) -> change.tenant())
        .repartition(Repartitioned.<String, JobChange>as(TENANT_CHANGES)
            .withKeySerde(Serdes.String())
            .withValueSerde(JobChange.serde()))
        .groupByKey(Grouped.with(Serdes.String(), JobChange.serde()))
        .aggregate(
            () -> new TenantStatus(null, 0, 0),
            (tenant, change, status) -> status.apply(tenant, change),
            Materialized.<String, TenantStatus, KeyValueStore<Bytes, byte[]>>as(TENANTS_STORE)
                .withKeySerde(Serdes.String())
                .withValueSerde(JsonSerde.tenantStatus()));

    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SUBMISSIONS_STORE),
        Serdes.String(), JsonSerde.submission()));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BATCHES_BY_TIME_STORE),
        Serdes.String(), Serdes.String()));
    builder.stream(Topics.BATCHES.name(), Consumed.with(Topics.BATCHES.keySerde(), Topics.BATCHES.valueSerde()))
        .process(SubmissionFold::new, Named.as("submission-fold"), SUBMISSIONS_STORE, BATCHES_BY_TIME_STORE);

    return builder.build();
  }
}
