package io.flowreel.tracker;

import io.flowreel.contract.Stages;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonSerdeTest {

  @Test
  void aJobStatusSurvivesTheStore() {
    Events events = new Events("job-1", "batch-1");
    JobStatus job = null;
    for (Stage stage : Stages.PIPELINE) {
      for (StageEvent e : events.runStage(stage, 1)) {
        job = JobStateMachine.apply(job, e);
      }
    }
    JsonSerde<JobStatus> serde = JsonSerde.jobStatus();

    JobStatus back = serde.deserialize("t", serde.serialize("t", job));

    assertThat(back).isEqualTo(job);
    assertThat(back.stages().keySet()).containsExactlyElementsOf(job.stages().keySet());
  }

  @Test
  void aBatchStatusSurvivesTheStoreAndShowsDone() {
    BatchStatus batch = BatchStatus.empty("b", "t").change(null, JobState.SUCCEEDED);
    JsonSerde<BatchStatus> serde = JsonSerde.batchStatus();
    byte[] json = serde.serialize("t", batch);

    assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"done\":1");
    assertThat(serde.deserialize("t", json)).isEqualTo(batch);
  }

  @Test
  void unknownFieldsAreSkippedAndNullIsATombstone() {
    JsonSerde<BatchStatus> serde = JsonSerde.batchStatus();
    byte[] json = "{\"batchId\":\"b\",\"total\":2,\"paused\":1}".getBytes(StandardCharsets.UTF_8);

    assertThat(serde.deserialize("t", json).total()).isEqualTo(2);
    assertThat(serde.serialize("t", null)).isNull();
    assertThat(serde.deserialize("t", null)).isNull();
  }
}
