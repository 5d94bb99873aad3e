package io.flowreel.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowreel.contract.Stages;
import io.flowreel.messages.ArtifactFormat;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.tracker.JobStateMachine;
import io.flowreel.tracker.JobStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryPlanTest {

  private static final JobSpec SPEC = JobSpec.newBuilder().setJobId("b-1-000000").setBatchId("b-1").setTenant("t")
      .setPrompt("a red ball").setSeed(3).setWidth(64).setHeight(64).setFrames(5).setFps(8).setSteps(4)
      .setPack("tiny").build();

  private long clock = 1000;
  private JobStatus job;

  private void on(Stage stage, StageEventType type, int attempt, StageEvent.Builder... with) {
    StageEvent.Builder b = with.length > 0 ? with[0] : StageEvent.newBuilder();
    job = JobStateMachine.apply(job, b.setEventId("e" + clock).setJobId(SPEC.getJobId()).setBatchId("b-1")
        .setTenant("t").setStage(stage).setAttempt(attempt).setType(type).setTimeMillis(clock++).build());
  }

  private static ArtifactRef artifact(Stage stage, String name) {
    return ArtifactRef.newBuilder().setStage(stage).setName(name).setBucket("work").setKey("jobs/x/" + name)
        .setSha256("00".repeat(32)).setSize(10).setFormat(ArtifactFormat.SAFETENSORS).build();
  }

  private void succeeded(Stage stage, ArtifactRef... stored) {
    on(stage, StageEventType.STARTED, 1);
    on(stage, StageEventType.SUCCEEDED, 1, StageEvent.newBuilder().setArtifacts(List.of(stored))
        .setDurationMillis(20L).setRewrittenPrompt(stage == Stage.REWRITE ? "a red ball, lit" : null));
  }

  /** Queued, rewritten, encoded, then DENOISE failed. */
  private void failedAtDenoise() {
    on(Stage.REWRITE, StageEventType.QUEUED, 1, StageEvent.newBuilder().setSpec(SPEC));
    succeeded(Stage.REWRITE);
    succeeded(Stage.ENCODE, artifact(Stage.ENCODE, "conditioning"));
    on(Stage.DENOISE, StageEventType.STARTED, 1);
    on(Stage.DENOISE, StageEventType.FAILED, 1, StageEvent.newBuilder().setError("sha256 mismatch"));
  }

  @Test
  void aFailedJobRetriesFromTheFailedStageReusingWhatEarlierStagesStored() {
    failedAtDenoise();

    RenderTask task = RetryPlan.of(job, null);

    assertThat(task.getAttempt()).isEqualTo(2);
    assertThat(task.getRoutingSlip())
        .containsExactly(Stage.DENOISE, Stage.DECODE, Stage.UPSAMPLE, Stage.PUBLISH);
    assertThat(task.getArtifacts()).containsExactly(artifact(Stage.ENCODE, "conditioning"));
    assertThat(task.getRewrittenPrompt()).isEqualTo("a red ball, lit");
    assertThat(task.getSpec()).isEqualTo(SPEC);
    assertThat(task.getStageMillis()).containsOnlyKeys("rewrite", "encode");
  }

  @Test
  void aJobCancelledWhileQueuedIsRetriedOnlyOnceItsOldTaskHasBeenDropped() {
    on(Stage.REWRITE, StageEventType.QUEUED, 1, StageEvent.newBuilder().setSpec(SPEC));
    on(Stage.REWRITE, StageEventType.CANCELLED, 1, StageEvent.newBuilder().setWorker(Stages.GATEWAY_WORKER));

    assertThatThrownBy(() -> RetryPlan.of(job, null)).isInstanceOf(ApiException.class)
        .hasMessageContaining("its task still waits in a stage queue");

    on(Stage.REWRITE, StageEventType.CANCELLED, 1, StageEvent.newBuilder().setWorker("prompt-rewriter-1"));
    assertThat(RetryPlan.of(job, null).getAttempt()).isEqualTo(2);
  }

  @Test
  void aNamedEarlierStageRunsAgainWithWhatCameBeforeIt() {
    failedAtDenoise();

    RenderTask task = RetryPlan.of(job, "Encode");

    assertThat(task.getRoutingSlip().get(0)).isEqualTo(Stage.ENCODE);
    assertThat(task.getArtifacts()).isEmpty();
    assertThat(task.getRewrittenPrompt()).isEqualTo("a red ball, lit");
    assertThat(RetryPlan.of(job, "rewrite").getRewrittenPrompt()).isNull();
  }

  @Test
  void aStageAfterOneThatDidNotSucceedCannotBeTheStart() {
    failedAtDenoise();

    assertThatThrownBy(() -> RetryPlan.of(job, "decode")).isInstanceOf(ApiException.class)
        .hasMessageContaining("stage DENOISE").hasMessageContaining("retry from DENOISE or earlier")
        .extracting(e -> ((ApiException) e).status()).isEqualTo(409);
  }

  @Test
  void anUnknownOrSkippedStageIsABadRequestListingTheJobsStages() {
    failedAtDenoise();

    assertThatThrownBy(() -> RetryPlan.of(job, "colour")).isInstanceOf(ApiException.class)
        .hasMessageContaining("rewrite, encode, denoise, decode, upsample, publish")
        .extracting(e -> ((ApiException) e).status()).isEqualTo(400);
  }

  @Test
  void aRunningJobOrASucceededJobWithoutAStageIsAConflict() {
    on(Stage.REWRITE, StageEventType.QUEUED, 1, StageEvent.newBuilder().setSpec(SPEC));
    succeeded(Stage.REWRITE);
    assertThatThrownBy(() -> RetryPlan.of(job, null)).hasMessageContaining("is RUNNING")
        .extracting(e -> ((ApiException) e).status()).isEqualTo(409);

    succeeded(Stage.ENCODE, artifact(Stage.ENCODE, "conditioning"));
    succeeded(Stage.DENOISE, artifact(Stage.DENOISE, "latent"));
    succeeded(Stage.DECODE, artifact(Stage.DECODE, "frames"));
    succeeded(Stage.UPSAMPLE, artifact(Stage.UPSAMPLE, "frames"));
    succeeded(Stage.PUBLISH, artifact(Stage.PUBLISH, "video"));
    assertThatThrownBy(() -> RetryPlan.of(job, null)).hasMessageContaining("succeeded: name the stage")
        .extracting(e -> ((ApiException) e).status()).isEqualTo(409);
    assertThat(RetryPlan.of(job, "publish").getArtifacts()).extracting(ArtifactRef::getName)
        .containsExactly("conditioning", "latent", "frames", "frames");
  }
}
