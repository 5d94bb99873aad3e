package io.flowreel.bench;

import io.flowreel.contract.Topics;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.codec.MessageSerdes;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** How the bus benchmarks watch a run: every stage event from the start of {@code flowreel.events}. */
final class EventReader {

  private EventReader() {}

  static KafkaConsumer<String, StageEvent> open(String bootstrap, String group) {
    return open(bootstrap, group, new Properties());
  }

  /** The same, with further consumer settings ({@code fetch.max.wait.ms} for a reader that times events, say). */
  static KafkaConsumer<String, StageEvent> open(String bootstrap, String group, Properties extra) {
    Properties props = new Properties();
    props.putAll(extra);
    props.put("bootstrap.servers", bootstrap);
    props.put("group.id", group);
    props.put("auto.offset.reset", "earliest");
    KafkaConsumer<String, StageEvent> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
        MessageSerdes.stageEvent().deserializer());
    consumer.subscribe(List.of(Topics.EVENTS.name()));
    return consumer;
  }
}
