package io.flowreel.messages.codec;

import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serializer, deserializer and serde (for Kafka Streams) of one message type, in Avro
 * single-object encoding. Null maps to null both ways, so tombstones pass through (the control
 * topic is compacted). Decoding errors are thrown as they are ({@link UnknownSchemaException},
 * {@link MessageDecodeException}); Kafka wraps them in a {@code RecordDeserializationException}
 * that keeps them as its cause, so a stage can dead-letter the record with the reason.
 */
public final class AvroSerde<T extends SpecificRecord>
    implements Serde<T>, Serializer<T>, Deserializer<T> {

  private final MessageCodec<T> codec;

  public AvroSerde(MessageCodec<T> codec) {
    this.codec = codec;
  }

  public static <T extends SpecificRecord> AvroSerde<T> of(
      Class<T> type, SchemaCatalogue catalogue) {
    return new AvroSerde<>(MessageCodec.of(type, catalogue));
  }

  @Override
  public byte[] serialize(String topic, T message) {
    return message == null ? null : codec.encode(message);
  }

  @Override
  public T deserialize(String topic, byte[] payload) {
    return payload == null ? null : codec.decode(payload);
  }

  @Override
  public Serializer<T> serializer() {
    return this;
  }

  @Override
  public Deserializer<T> deserializer() {
    return this;
  }

  // Serde, Serializer and Deserializer each have these as defaults, so Java needs one choice.
  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
  }

  @Override
  public void close() {
  }
}
