package io.flowreel.runtime;

import io.flowreel.contract.Topics;
import io.flowreel.messages.ControlCommand;
import io.flowreel.contract.ControlRules;
import io.flowreel.contract.UnreadableRecords;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The latest control command per job and batch, read from the compacted control topic by every
 * worker (no consumer group: each reads all partitions from the start). Stages ask it before work
 * and between denoising steps. A record it cannot read (garbage, a newer schema) is logged,
 * dead-lettered and skipped: cancel and fencing go on for every other job.
 */
public final class ControlView implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(ControlView.class.getName());
  private static final Duration BACKOFF_AFTER_FAILURE = Duration.ofSeconds(1);

  private final Map<String, ControlCommand> latest = new ConcurrentHashMap<>();
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final UnreadableRecords unreadable;
  private final Thread thread;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private volatile boolean running = true;

  /** {@code reader} names this view in the dead letters of records it cannot read (the worker, say). */
  public ControlView(String bootstrapServers, String reader) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // The gateway writes a retry's RESUME in the same transaction as its task: never act on an aborted one.
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    unreadable = new UnreadableRecords(bootstrapServers, reader);
    List<TopicPartition> partitions = consumer.partitionsFor(Topics.CONTROL.name(), Duration.ofSeconds(30)).stream()
        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    if (partitions.isEmpty()) {
      consumer.close();
      unreadable.close();
      throw new IllegalStateException("topic " + Topics.CONTROL.name() + " does not exist: create the topics of infra/topics.yaml "
          + "before starting stage workers");
    }
    // Assigned here, before the thread starts, so the thread owns a consumer that is ready to poll.
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    thread = new Thread(() -> run(partitions), "control-view");
    thread.setDaemon(true);
    thread.start();
  }

  /** Blocks until the topic has been read up to its end once; a worker waits for this before taking tasks. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Whether the newest command for the job or its batch is CANCEL ({@link ControlRules#cancelled}). */
  public boolean cancelled(String jobId, String batchId) {
    return ControlRules.cancelled(jobId == null ? null : latest.get(jobId), batchId == null ? null : latest.get(batchId));
  }

  /** The newest attempt the control topic announced for the job, 1 if none. */
  public int currentAttempt(String jobId) {
    return ControlRules.currentAttempt(latest.get(jobId));
  }

  /** How many jobs and batches the view holds a command for: bounded by the tombstones the storage lifecycle writes. */
  public int size() {
    return latest.size();
  }

  private void run(List<TopicPartition> partitions) {
    try {
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (running) {
        try {
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
            apply(record);
          }
          if (caughtUp.getCount() > 0
              && end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
            caughtUp.countDown();
          }
        } catch (WakeupException e) {
          throw e;
        } catch (KafkaException e) {
          // A broker outage or the like: the view keeps its commands and reads on once it can.
          LOG.log(System.Logger.Level.WARNING, "control view cannot read " + Topics.CONTROL.name() + ": " + e);
          Thread.sleep(BACKOFF_AFTER_FAILURE.toMillis());
        }
      }
    } catch (WakeupException | InterruptedException e) {
      // closing
    } finally {
      consumer.close();
      unreadable.close();
    }
  }

  private void apply(ConsumerRecord<byte[], byte[]> record) {
    if (record.key() == null) {
      unreadable.skip(record, new IllegalArgumentException("a control command without a key names no job or batch"));
      return;
    }
    String target = new String(record.key(), StandardCharsets.UTF_8);
    if (record.value() == null) {
      latest.remove(target);
      return;
    }
    ControlCommand command;
    try {
      command = Topics.CONTROL.deserializeValue(record.value());
    } catch (RuntimeException e) {
      unreadable.skip(record, e);
      return;
    }
    latest.put(target, command);
  }


  @Override
  public void close() throws InterruptedException {
    running = false;
    consumer.wakeup();
    thread.join(10_000);
  }
}
