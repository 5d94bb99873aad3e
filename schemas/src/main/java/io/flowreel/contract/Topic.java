package io.flowreel.contract;

import org.apache.kafka.common.serialization.Serde;

/**
 * One topic of infra/topics.yaml with the types of its records: whoever writes or reads it takes
 * the serdes from here, so a topic cannot be written with one type and read with another.
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, String key) {

  public byte[] serializeValue(V value) {
    return valueSerde.serializer().serialize(name, value);
  }

  public V deserializeValue(byte[] bytes) {
    return valueSerde.deserializer().deserialize(name, bytes);
  }
}
