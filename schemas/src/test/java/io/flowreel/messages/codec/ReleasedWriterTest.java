package io.flowreel.messages.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.messages.ControlAction;
import io.flowreel.messages.ControlCommand;
import io.flowreel.messages.ControlTargetKind;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.RawMessageDecoder;
import org.apache.avro.message.RawMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Messages from writers that know only a released schema, not the generated classes. */
class ReleasedWriterTest {

  private static final SchemaCatalogue CATALOGUE = SchemaCatalogue.fromClasspath();

  @Test
  void foreignWriterWithTheLatestReleasedSchemaIsRead() {
    // Built from the released .avsc with Avro's generic API, as a non-Java producer would.
    Schema released = latestReleased("io.flowreel.messages.ControlCommand");
    GenericRecord command = new GenericRecordBuilder(released)
        .set("targetId", "job-7")
        .set("targetKind", new GenericData.EnumSymbol(released.getField("targetKind").schema(), "JOB"))
        .set("action", new GenericData.EnumSymbol(released.getField("action").schema(), "CANCEL"))
        .set("reason", "wrong prompt")
        .set("timeMillis", 1234L)
        .build();

    ControlCommand read = MessageSerdes.controlCommand().deserialize("t", singleObject(command));

    assertThat(read).isEqualTo(new ControlCommand("job-7", ControlTargetKind.JOB,
        ControlAction.CANCEL, "wrong prompt", null, 1234L, null));
  }

  static Stream<Object[]> everyMessageInEveryRelease() {
    List<SpecificRecord> samples = List.of(Samples.renderTask(), Samples.stageEvent(),
        Samples.controlCommand(), Samples.deadLetter());
    return CATALOGUE.released().keySet().stream()
        .flatMap(version -> samples.stream().map(sample -> new Object[] {version, sample}));
  }

  @ParameterizedTest(name = "released/{0}: {1}")
  @MethodSource("everyMessageInEveryRelease")
  <T extends SpecificRecord> void everyMessageWrittenWithAReleasedSchemaIsRead(int version, T sample) {
    Schema released = CATALOGUE.released().get(version).get(sample.getSchema().getFullName());
    GenericRecord written = asReleased(sample, released);
    @SuppressWarnings("unchecked")
    Class<T> type = (Class<T>) sample.getClass();

    T read = MessageCodec.of(type, CATALOGUE).decode(singleObject(written));

    // Whatever the old writer said survives the current reader (fields added since then take
    // their defaults, so compare in the released shape).
    assertThat(asReleased(read, released)).isEqualTo(written);
  }

  @Test
  void olderWriterWithoutLaterFieldsIsReadWithDefaults() {
    // An older RenderTask that predates three optional fields; the catalogue knows it.
    Schema current = RenderTask.getClassSchema();
    Set<String> later = Set.of("deliveryAttempt", "checkpointStep", "traceId");
    Schema older = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(),
        false, current.getFields().stream().filter(f -> !later.contains(f.name()))
            .map(f -> new Schema.Field(f, f.schema())).toList());
    SortedMap<Integer, Map<String, Schema>> versions = new TreeMap<>(CATALOGUE.released());
    versions.put(0, SchemaCatalogue.namedTypes(List.of(older)));
    SchemaCatalogue withOlder = new SchemaCatalogue(CATALOGUE.current(), versions);

    GenericRecord task = new GenericRecordBuilder(older)
        .set("spec", GenericData.get().deepCopy(JobSpec.getClassSchema(), Samples.jobSpec()))
        .set("attempt", 2)
        .set("routingSlip", List.of(new GenericData.EnumSymbol(
            older.getField("routingSlip").schema().getElementType(), "ENCODE")))
        .set("createdAtMillis", 99L)
        .build();

    RenderTask read = MessageCodec.of(RenderTask.class, withOlder).decode(singleObject(task));

    assertThat(read.getSpec()).isEqualTo(Samples.jobSpec());
    assertThat(read.getAttempt()).isEqualTo(2);
    assertThat(read.getRoutingSlip()).extracting(Enum::name).containsExactly("ENCODE");
    assertThat(read.getArtifacts()).isEmpty();
    assertThat(read.getDeliveryAttempt()).isEqualTo(1);
    assertThat(read.getCheckpointStep()).isNull();
    assertThat(read.getTraceId()).isNull();
    // Without the older version in the catalogue the same bytes are refused, not misread.
    assertThat(CATALOGUE.find(MessageCodec.fingerprintOf(singleObject(task)))).isEmpty();
  }

  private static Schema latestReleased(String fullName) {
    return CATALOGUE.released().get(CATALOGUE.released().lastKey()).get(fullName);
  }

  private static byte[] singleObject(GenericRecord record) {
    try {
      ByteBuffer buffer =
          new BinaryMessageEncoder<GenericRecord>(GenericData.get(), record.getSchema()).encode(record);
      return Arrays.copyOfRange(buffer.array(), buffer.arrayOffset() + buffer.position(),
          buffer.arrayOffset() + buffer.limit());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The message as a writer with the released schema holds it: Avro resolution, current to old. */
  private static GenericRecord asReleased(SpecificRecord message, Schema released) {
    try {
      ByteBuffer body = new RawMessageEncoder<SpecificRecord>(SpecificData.get(), message.getSchema())
          .encode(message);
      return new RawMessageDecoder<GenericRecord>(GenericData.get(), message.getSchema(), released)
          .decode(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
