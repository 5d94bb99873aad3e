package io.flowreel.scheduler;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

/**
 * The scheduler running: its topology on Kafka Streams, and the stages' capacity read from their share groups.
 * The scheduler service wraps one; benchmarks that run workers in their own process start one beside them.
 */
public final class Scheduler implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(Scheduler.class.getName());

  /**
   * @param commitInterval an admitted task reaches the stage's workers only once committed (exactly once), so
   *     this is most of what the scheduler adds to each hop
   * @param workersEvery how often each stage's workers are counted
   * @param instanceId static group membership, as the tracker's; empty: dynamic
   */
  public record Settings(String bootstrapServers, String applicationId, Path stateDir, Duration commitInterval,
      Duration workersEvery, Optional<String> instanceId, SchedulingRules rules) {}

  private final ShareGroupCapacity capacity;
  private final StageBacklog backlog;
  private final KafkaStreams streams;

  private Scheduler(ShareGroupCapacity capacity, StageBacklog backlog, KafkaStreams streams) {
    this.capacity = capacity;
    this.backlog = backlog;
    this.streams = streams;
  }

  public static Scheduler start(Settings settings) {
    ShareGroupCapacity capacity = new ShareGroupCapacity(settings.bootstrapServers(), settings.workersEvery());
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, settings.applicationId());
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    props.put(StreamsConfig.STATE_DIR_CONFIG, settings.stateDir().toString());
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.toString(settings.commitInterval().toMillis()));
    // Exactly once: a task leaves the waiting store, is sent to its stage and the input offset is committed
    // together, so a scheduler killed mid-admission neither loses a task nor admits it twice. Reading committed
    // only, the tasks of an aborted gateway submission are never scheduled.
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    // A FINISHED must not wait for a fetch to fill: a worker idles until the admission it triggers.
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), "100");
    props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), "0");
    settings.instanceId().ifPresent(id ->
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), id));
    props.putAll(SchedulerTopology.errorHandling());
    StageBacklog backlog = new StageBacklog();
    KafkaStreams streams = new KafkaStreams(SchedulerTopology.build(capacity, settings.rules(), backlog), props);
    streams.setUncaughtExceptionHandler(e -> {
      LOG.log(System.Logger.Level.ERROR, "scheduler stream thread failed; replacing it", e);
      return StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.start();
    return new Scheduler(capacity, backlog, streams);
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  public ShareGroupCapacity capacity() {
    return capacity;
  }

  public StageBacklog backlog() {
    return backlog;
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(10));
    capacity.close();
  }
}
