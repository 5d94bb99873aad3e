package io.flowreel.tracker.service;

import io.flowreel.contract.Topics;
import io.flowreel.tracker.BatchStatus;
import io.flowreel.tracker.JobStatus;
import io.flowreel.tracker.Submission;
import io.flowreel.tracker.TenantStatus;
import io.flowreel.tracker.TrackerTopology;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.jboss.logging.Logger;

/** The tracker topology running in this process, and its stores for interactive queries. */
@Singleton
public class TrackerStreams {

  private static final Logger LOG = Logger.getLogger(TrackerStreams.class);

  private final TrackerConfig config;
  private final MeterRegistry metrics;
  private KafkaStreams streams;

  TrackerStreams(TrackerConfig config, MeterRegistry metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  void onStart(@Observes StartupEvent event) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.tracker().applicationId());
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
    props.put(StreamsConfig.STATE_DIR_CONFIG, config.tracker().stateDir().toString());
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.toString(config.tracker().commitInterval().toMillis()));
    // Exactly once: a stage's store update, what it forwards and its input offsets commit in one
    // transaction, so a tracker killed mid-fold replays nothing into the batch counts (at least once,
    // the batches store re-applied the job changes it had already counted). It also reads committed
    // only: the tasks and QUEUED events of an aborted gateway submission never show up.
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    // Start from the beginning the first time: status is the fold of every event ever sent.
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    config.tracker().instanceId().ifPresent(id ->
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), id));
    props.putAll(TrackerTopology.errorHandling());
    props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class);
    streams = new KafkaStreams(TrackerTopology.build(), props);
    streams.setUncaughtExceptionHandler(e -> {
      LOG.error("tracker stream thread failed; replacing it", e);
      return StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.start();
    FunctionCounter.builder("flowreel.tracker.events.folded", this, t -> t.eventsMetric("records-consumed-total"))
        .description("stage events the tracker's fold has read from " + Topics.EVENTS.name()).register(metrics);
    Gauge.builder("flowreel.tracker.lag", this, t -> t.eventsMetric("records-lag"))
        .description("stage events sent but not yet read by the tracker: how far status trails the farm")
        .baseUnit("events").register(metrics);
    LOG.infof("tracker %s reads %s and %s from %s", config.tracker().applicationId(), Topics.EVENTS.name(),
        Topics.BATCHES.name(), config.kafka().bootstrapServers());
  }

  /**
   * The sum of one of the Kafka consumer's metrics over the events topic (per topic or per partition): what it
   * has read, and how far it trails. Zero before the stream threads have joined.
   */
  private double eventsMetric(String name) {
    KafkaStreams running = streams;
    if (running == null) {
      return 0;
    }
    double sum = 0;
    for (Map.Entry<MetricName, ? extends Metric> metric : running.metrics().entrySet()) {
      MetricName id = metric.getKey();
      if (id.name().equals(name) && id.group().equals("consumer-fetch-manager-metrics")
          && Topics.EVENTS.name().equals(id.tags().get("topic")) && metric.getValue().metricValue() instanceof Double d
          && !d.isNaN()) {
        sum += d;
      }
    }
    return sum;
  }

  void onStop(@Observes ShutdownEvent event) {
    if (streams != null) {
      streams.close(Duration.ofSeconds(10));
    }
  }

  public KafkaStreams.State state() {
    return streams == null ? KafkaStreams.State.CREATED : streams.state();
  }

  public ReadOnlyKeyValueStore<String, JobStatus> jobs() {
    return store(TrackerTopology.JOBS_STORE);
  }

  public ReadOnlyKeyValueStore<String, BatchStatus> batches() {
    return store(TrackerTopology.BATCHES_STORE);
  }

  public ReadOnlyKeyValueStore<String, TenantStatus> tenants() {
    return store(TrackerTopology.TENANTS_STORE);
  }

  public ReadOnlyKeyValueStore<String, Submission> submissions() {
    return store(TrackerTopology.SUBMISSIONS_STORE);
  }

  /** Each tenant's jobs by submission time, one store per partition of the events topic. */
  public List<ReadOnlyKeyValueStore<String, String>> jobsByTime() {
    return partitions(TrackerTopology.JOBS_BY_TIME_STORE, Topics.EVENTS.name());
  }

  /** Each tenant's batches by submission time, one store per partition of the batches topic. */
  public List<ReadOnlyKeyValueStore<String, String>> batchesByTime() {
    return partitions(TrackerTopology.BATCHES_BY_TIME_STORE, Topics.BATCHES.name());
  }

  /** The store's part for each partition of {@code topic} this instance holds: each one is sorted, all together not. */
  private List<ReadOnlyKeyValueStore<String, String>> partitions(String name, String topic) {
    List<ReadOnlyKeyValueStore<String, String>> stores = new ArrayList<>();
    streams.metadataForLocalThreads().stream().flatMap(thread -> thread.activeTasks().stream())
        .flatMap(task -> task.topicPartitions().stream()).filter(partition -> partition.topic().equals(topic))
        .map(TopicPartition::partition).sorted().forEach(partition -> stores.add(streams.store(
            StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, String>keyValueStore())
                .withPartition(partition))));
    return stores;
  }

  private <V> ReadOnlyKeyValueStore<String, V> store(String name) {
    return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, V>keyValueStore()));
  }
}
