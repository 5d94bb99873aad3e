package io.flowreel.it;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Everything written to one topic since it was created, read without a group by a background
 * thread, so tests can await conditions on it cheaply. Records with the same key keep their order.
 */
final class TopicLog implements AutoCloseable {

  private final List<ConsumerRecord<String, byte[]>> records = new CopyOnWriteArrayList<>();
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread thread;

  TopicLog(String bootstrapServers, String topic) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrapServers);
    props.put("enable.auto.commit", "false");
    consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
        .map(p -> new TopicPartition(topic, p.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    thread = new Thread(this::run, "topic-log-" + topic);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      while (true) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    } catch (WakeupException e) {
      // closing
    } finally {
      consumer.close();
    }
  }

  /** The records read so far with this key, in the order they were written. */
  List<ConsumerRecord<String, byte[]>> withKey(String key) {
    return records.stream().filter(r -> key.equals(r.key())).toList();
  }

  /** Every record read so far, in the order read (per partition, the order written). */
  List<ConsumerRecord<String, byte[]>> all() {
    return List.copyOf(records);
  }

  @Override
  public void close() {
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
