package io.flowreel.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContractTest {

  private static final RenderSettings EVERY_FIELD_SET = new RenderSettings("a red ball", "blur", 42, 256, 192, 17,
      12, 30, 4.5, 2.5, "tiny", 7, false, true);

  @Test
  void thePipelineIsTheAvroEnumInOrderWithoutUnknown() {
    assertThat(Stages.PIPELINE).containsExactly(Stage.REWRITE, Stage.ENCODE, Stage.DENOISE, Stage.DECODE,
        Stage.UPSAMPLE, Stage.PUBLISH);
    assertThat(Stages.position(Stage.REWRITE)).isZero();
    assertThat(Stages.position(Stage.UNKNOWN)).isEqualTo(-1);
    assertThat(Stages.routingSlip(false, false)).containsExactly(Stage.ENCODE, Stage.DENOISE, Stage.DECODE,
        Stage.PUBLISH);
    for (Stage stage : Stages.PIPELINE) {
      assertThat(Stages.fromId(Stages.id(stage))).isEqualTo(stage);
    }
    assertThat(Stages.fromId("nope")).isEqualTo(Stage.UNKNOWN);
  }

  @Test
  void settingsRoundTripThroughTheWireSpec() {
    JobSpec wire = JobSpecMapper.toWire("b-1-000003", "b-1", "studio-a", EVERY_FIELD_SET);
    assertThat(wire.getJobId()).isEqualTo("b-1-000003");
    assertThat(wire.getBatchId()).isEqualTo("b-1");
    assertThat(wire.getTenant()).isEqualTo("studio-a");
    assertThat(JobSpecMapper.settings(wire)).isEqualTo(EVERY_FIELD_SET);

    RenderSettings unset = new RenderSettings("p", null, 1, 32, 32, 1, 8, null, null, null, "tiny", 0, true, false);
    assertThat(JobSpecMapper.settings(JobSpecMapper.toWire("j", "b", "t", unset))).isEqualTo(unset);
  }

  @Test
  void everyWireFieldOfTheSpecIsAnIdOrASetting() {
    // A field added to JobSpec.avsc but not to RenderSettings would be lost by the mapper.
    List<String> wireFields = JobSpec.getClassSchema().getFields().stream().map(f -> f.name()).toList();
    List<String> settingFields = java.util.Arrays.stream(RenderSettings.class.getRecordComponents())
        .map(c -> c.getName()).toList();
    assertThat(wireFields).containsExactlyInAnyOrderElementsOf(
        java.util.stream.Stream.concat(List.of("jobId", "batchId", "tenant").stream(), settingFields.stream())
            .toList());
  }

  @Test
  void topicsCarryTheirTypes() throws Exception {
    RenderTask task = RenderTask.newBuilder()
        .setSpec(JobSpecMapper.toWire("j", "b", "t", EVERY_FIELD_SET)).setAttempt(1)
        .setRoutingSlip(Stages.PIPELINE).setCreatedAtMillis(1).build();
    Topic<String, RenderTask> encode = Topics.tasks(Stage.ENCODE);
    assertThat(encode.name()).isEqualTo("flowreel.tasks.encode");
    assertThat(encode.deserializeValue(encode.serializeValue(task))).isEqualTo(task);
    assertThat(Topics.deadLetters(Stage.PUBLISH).name()).isEqualTo("flowreel.dlq.publish");
    assertThat(Topics.all()).hasSize(2 * Stages.PIPELINE.size() + 6);
    assertThat(Topics.BATCHES_FINISHED.name()).isEqualTo("flowreel.batches.finished");
  }

  @Test
  void jobIdsNameTheirBatchAndSortInSubmissionOrder() {
    assertThat(Ids.jobId("b-abc", 7)).isEqualTo("b-abc-000007");
    assertThat(Ids.jobId("b-abc", 10)).isGreaterThan(Ids.jobId("b-abc", 9));
    assertThat(Ids.isJobId("a/../b")).isFalse();
    assertThat(Ids.isBatchId("b-" + "0".repeat(120))).isFalse();
    assertThat(Ids.isJobId(Ids.jobId("b-" + "0".repeat(119), 999_999))).isTrue();
  }
}
