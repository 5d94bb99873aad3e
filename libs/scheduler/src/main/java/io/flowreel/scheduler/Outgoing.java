package io.flowreel.scheduler;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** A record the scheduler sends, already serialized for its topic: an admitted task, or an event. */
record Outgoing(String topic, byte[] value) {

  /** Writes the value's bytes as they are; the scheduler never reads its own output. */
  static final Serde<Outgoing> SERDE = Serdes.serdeFrom(
      (topic, outgoing) -> outgoing == null ? null : outgoing.value(),
      (topic, bytes) -> {
        throw new UnsupportedOperationException("the scheduler does not read " + topic);
      });
}
