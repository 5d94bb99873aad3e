package io.flowreel.tracker;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * JSON (Jackson) serde for the tracker's own store values, {@link JobStatus},
 * {@link BatchStatus} and {@link Submission}. They are Flowreel's internal state, not messages, so they do not go
 * through the Avro catalogue; unknown fields are skipped so an older tracker can read a store a
 * newer one wrote. Null maps to null both ways (tombstones).
 */
public final class JsonSerde<T> implements Serde<T>, Serializer<T>, Deserializer<T> {

  private static final ObjectMapper MAPPER =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final Class<T> type;

  public JsonSerde(Class<T> type) {
    this.type = type;
  }

  public static JsonSerde<JobStatus> jobStatus() {
    return new JsonSerde<>(JobStatus.class);
  }

  public static JsonSerde<BatchStatus> batchStatus() {
    return new JsonSerde<>(BatchStatus.class);
  }

  public static JsonSerde<TenantStatus> tenantStatus() {
    return new JsonSerde<>(TenantStatus.class);
  }

  public static JsonSerde<Submission> submission() {
    return new JsonSerde<>(Submission.class);
  }

  @Override
  public byte[] serialize(String topic, T value) {
    if (value == null) {
      return null;
    }
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new SerializationException("cannot write " + type.getSimpleName() + " as JSON", e);
    }
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    try {
      return MAPPER.readValue(data, type);
    } catch (IOException e) {
      throw new SerializationException("cannot read " + type.getSimpleName() + " from JSON", e);
    }
  }

  @Override
  public Serializer<T> serializer() {
    return this;
  }

  @Override
  public Deserializer<T> deserializer() {
    return this;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    // Nothing to configure: the type is fixed at construction.
  }

  @Override
  public void close() {
    // Nothing to release: the mapper is shared and stateless.
  }
}
