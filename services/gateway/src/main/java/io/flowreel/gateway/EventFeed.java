package io.flowreel.gateway;

import io.flowreel.contract.Topics;
import io.flowreel.contract.UnreadableRecords;
import io.flowreel.messages.StageEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

/**
 * Stage events as they happen, for the server-sent event streams: one consumer per gateway reads
 * every partition of the events topic from its end (no group: each gateway sees everything) and
 * hands each event to the listeners of its job and of its batch. Listeners must not block: they
 * pass the event on to their own stream without waiting for its client. An event it cannot read
 * is logged, dead-lettered and skipped; a broker outage pauses the feed, it never ends it.
 */
@Singleton
public class EventFeed {

  private static final Logger LOG = Logger.getLogger(EventFeed.class);

  private final GatewayConfig config;
  private final Map<String, Set<Consumer<StageEvent>>> listeners = new ConcurrentHashMap<>();
  private KafkaConsumer<byte[], byte[]> consumer;
  private UnreadableRecords unreadable;
  private Thread thread;
  private volatile boolean running = true;

  EventFeed(GatewayConfig config) {
    this.config = config;
  }

  void onStart(@Observes StartupEvent event) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    unreadable = new UnreadableRecords(config.kafka().bootstrapServers(), "gateway-event-feed");
    List<TopicPartition> partitions = consumer.partitionsFor(Topics.EVENTS.name(), Duration.ofSeconds(30)).stream()
        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position); // resolve "end" now: events after start-up are all delivered
    thread = new Thread(this::run, "event-feed");
    thread.setDaemon(true);
    thread.start();
  }

  void onStop(@Observes ShutdownEvent event) throws InterruptedException {
    running = false;
    if (consumer != null) {
      consumer.wakeup();
      thread.join(5_000);
    }
  }

  /** Calls {@code listener} with every later event whose job id or batch id is {@code id}. */
  public AutoCloseable subscribe(String id, Consumer<StageEvent> listener) {
    // Inside compute: an unsubscribe that removes the id's last listener at the same moment would
    // otherwise drop the set this listener joins, and it would never be called.
    listeners.compute(id, (k, set) -> {
      Set<Consumer<StageEvent>> listening = set != null ? set : new CopyOnWriteArraySet<>();
      listening.add(listener);
      return listening;
    });
    return () -> listeners.computeIfPresent(id, (k, set) -> {
      set.remove(listener);
      return set.isEmpty() ? null : set;
    });
  }

  private void run() {
    try {
      while (running) {
        try {
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
            if (!listeners.isEmpty()) { // nobody watches: skip decoding
              decodeAndDeliver(record);
            }
          }
        } catch (WakeupException e) {
          throw e;
        } catch (KafkaException e) {
          LOG.warnf("event feed cannot read %s: %s", Topics.EVENTS.name(), e);
          Thread.sleep(1_000);
        }
      }
    } catch (WakeupException | InterruptedException e) {
      // shutting down
    } finally {
      consumer.close();
      unreadable.close();
    }
  }

  private void decodeAndDeliver(ConsumerRecord<byte[], byte[]> record) {
    StageEvent event;
    try {
      event = Topics.EVENTS.deserializeValue(record.value());
    } catch (RuntimeException e) {
      unreadable.skip(record, e);
      return;
    }
    deliver(event.getJobId(), event);
    deliver(event.getBatchId(), event);
  }

  private void deliver(String id, StageEvent event) {
    Set<Consumer<StageEvent>> set = listeners.get(id);
    if (set != null) {
      for (Consumer<StageEvent> listener : set) {
        try {
          listener.accept(event);
        } catch (RuntimeException e) { // one broken stream must not stop the feed for all the others
          LOG.warnf("a listener of %s failed: %s", id, e);
        }
      }
    }
  }
}
