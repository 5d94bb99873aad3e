package io.flowreel.messages.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowreel.messages.RenderTask;
import io.flowreel.messages.StageEvent;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MessageCodecTest {

  private final MessageCodec<RenderTask> codec =
      MessageCodec.of(RenderTask.class, SchemaCatalogue.fromClasspath());

  @Test
  void unknownFingerprintIsNamedInTheError() {
    byte[] bytes = codec.encode(Samples.renderTask());
    bytes[2] ^= 0x5A; // a fingerprint no version has
    long fingerprint = MessageCodec.fingerprintOf(bytes);

    assertThatThrownBy(() -> codec.decode(bytes))
        .isInstanceOfSatisfying(UnknownSchemaException.class,
            e -> assertThat(e.fingerprint()).isEqualTo(fingerprint))
        .hasMessageContaining(String.format("%016x", fingerprint))
        .hasMessageContaining("io.flowreel.messages.RenderTask");
  }

  @Test
  void aCatalogueWithoutTheWritersVersionCannotRead() {
    SchemaCatalogue empty = new SchemaCatalogue(Map.of(), new TreeMap<>());
    byte[] bytes = codec.encode(Samples.renderTask());

    // The decoder knows its own schema, but the catalogue is what decides.
    assertThatThrownBy(() -> MessageCodec.of(RenderTask.class, empty).decode(bytes))
        .isInstanceOf(UnknownSchemaException.class);
  }

  @Test
  void anotherMessageTypeIsRefusedByName() {
    byte[] event = MessageCodec.of(StageEvent.class, SchemaCatalogue.fromClasspath())
        .encode(Samples.stageEvent());

    assertThatThrownBy(() -> codec.decode(event))
        .isInstanceOf(MessageDecodeException.class)
        .hasMessageContaining("payload is a io.flowreel.messages.StageEvent")
        .hasMessageContaining("expected io.flowreel.messages.RenderTask");
  }

  @Test
  void payloadWithoutTheMarkerIsRefused() {
    byte[] json = "{\"jobId\":\"job-1\"}".getBytes();

    assertThatThrownBy(() -> codec.decode(json))
        .isInstanceOf(MessageDecodeException.class)
        .isNotInstanceOf(UnknownSchemaException.class)
        .hasMessageContaining("not an Avro single-object encoded message")
        .hasMessageContaining("7B 22 6A 6F");
  }

  @Test
  void truncatedBodyIsAMalformedMessage() {
    byte[] bytes = codec.encode(Samples.renderTask());
    byte[] truncated = Arrays.copyOf(bytes, bytes.length / 2);

    assertThatThrownBy(() -> codec.decode(truncated))
        .isInstanceOf(MessageDecodeException.class)
        .hasMessageContaining("malformed io.flowreel.messages.RenderTask");
  }
}
