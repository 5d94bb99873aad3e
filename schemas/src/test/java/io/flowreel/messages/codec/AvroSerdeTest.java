package io.flowreel.messages.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.messages.ControlAction;
import io.flowreel.messages.ControlCommand;
import io.flowreel.messages.ControlTargetKind;
import io.flowreel.messages.DeadLetter;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  private static final String TOPIC = "flowreel.test";

  @Test
  void renderTaskRoundTrips() {
    assertRoundTrip(MessageSerdes.renderTask(), Samples.renderTask());
  }

  @Test
  void stageEventRoundTrips() {
    assertRoundTrip(MessageSerdes.stageEvent(), Samples.stageEvent());
  }

  @Test
  void controlCommandRoundTrips() {
    assertRoundTrip(MessageSerdes.controlCommand(), Samples.controlCommand());
  }

  @Test
  void deadLetterRoundTrips() {
    assertRoundTrip(MessageSerdes.deadLetter(), Samples.deadLetter());
  }

  @Test
  void jobSpecRoundTripsThroughTheGenericFactory() {
    assertRoundTrip(AvroSerde.of(JobSpec.class, SchemaCatalogue.fromClasspath()), Samples.jobSpec());
  }

  @Test
  void optionalFieldsLeftOutTakeTheirDefaults() {
    JobSpec spec = JobSpec.newBuilder(Samples.jobSpec())
        .setNegativePrompt(null).setSteps(null).setGuidance(null).setShift(null)
        .clearPriority().clearUpsample().clearRewrite()
        .build();
    RenderTask task = RenderTask.newBuilder()
        .setSpec(spec).setAttempt(1).setRoutingSlip(List.of(Stage.REWRITE))
        .setCreatedAtMillis(1L)
        .build();
    RenderTask read = roundTrip(MessageSerdes.renderTask(), task);

    assertThat(read).isEqualTo(task);
    assertThat(read.getSpec().getPriority()).isZero();
    assertThat(read.getSpec().getUpsample()).isTrue();
    assertThat(read.getSpec().getRewrite()).isTrue();
    assertThat(read.getSpec().getSteps()).isNull();
    assertThat(read.getArtifacts()).isEmpty();
    assertThat(read.getDeliveryAttempt()).isEqualTo(1);
    assertThat(read.getRewrittenPrompt()).isNull();
    assertThat(read.getCheckpointStep()).isNull();
    assertThat(read.getTraceId()).isNull();

    StageEvent queued = StageEvent.newBuilder()
        .setEventId("e").setJobId("j").setBatchId("b").setTenant("t").setStage(Stage.ENCODE)
        .setAttempt(1).setType(StageEventType.QUEUED).setTimeMillis(2L)
        .build();
    assertRoundTrip(MessageSerdes.stageEvent(), queued);

    ControlCommand resume = new ControlCommand("job-9", ControlTargetKind.JOB, ControlAction.RESUME,
        null, 2, 3L, null);
    assertRoundTrip(MessageSerdes.controlCommand(), resume);
  }

  @Test
  void payloadIsSingleObjectEncodedWithTheCurrentFingerprint() {
    byte[] bytes = MessageSerdes.controlCommand().serialize(TOPIC, Samples.controlCommand());

    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    assertThat(MessageCodec.fingerprintOf(bytes))
        .isEqualTo(SchemaNormalization.parsingFingerprint64(ControlCommand.getClassSchema()));
  }

  @Test
  void nullIsATombstoneBothWays() {
    AvroSerde<ControlCommand> serde = MessageSerdes.controlCommand();
    assertThat(serde.serialize(TOPIC, null)).isNull();
    assertThat(serde.deserialize(TOPIC, (byte[]) null)).isNull();
  }

  @Test
  void worksThroughKafkasHeaderAndByteBufferOverloads() {
    AvroSerde<DeadLetter> serde = MessageSerdes.deadLetter();
    RecordHeaders headers = new RecordHeaders();
    byte[] bytes = serde.serializer().serialize(TOPIC, headers, Samples.deadLetter());
    DeadLetter read = serde.deserializer().deserialize(TOPIC, headers, ByteBuffer.wrap(bytes));
    assertThat(read).isEqualTo(Samples.deadLetter());
  }

  private static <T extends SpecificRecord> void assertRoundTrip(AvroSerde<T> serde, T message) {
    assertThat(roundTrip(serde, message)).isEqualTo(message).isNotSameAs(message);
  }

  private static <T extends SpecificRecord> T roundTrip(AvroSerde<T> serde, T message) {
    // A fresh instance reads, as a consumer in another process would.
    byte[] bytes = serde.serialize(TOPIC, message);
    @SuppressWarnings("unchecked")
    Class<T> type = (Class<T>) message.getClass();
    return AvroSerde.of(type, SchemaCatalogue.fromClasspath()).deserialize(TOPIC, bytes);
  }
}
