package io.flowreel.denoiser;

import static io.flowreel.service.testing.TestTasks.spec;
import static io.flowreel.service.testing.TestTasks.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowreel.artifacts.Conditioning;
import io.flowreel.artifacts.StoredTensors;
import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.pack.InvalidRenderException;
import io.flowreel.pack.ModelPack;
import io.flowreel.render.TextEncodeStage;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.StageHandler.Result;
import io.flowreel.sampling.SamplingCancelledException;
import io.flowreel.service.testing.FakeStageContext;
import io.flowreel.service.testing.HandlerFixture;
import io.flowreel.service.testing.TestTasks;
import io.flowreel.tensor.FloatTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** DENOISE on the real tiny pack against a real S3 server: checkpoints, resuming, stopping, bad input. */
class DenoiseHandlerTest {

  private static final ModelPack PACK = HandlerFixture.tinyPack();
  private static final InferenceEngine ENGINE = OnnxRuntimeEngine.forPack(PACK);
  private static final DenoiseHandler DENOISE =
      new DenoiseHandler(PACK, ENGINE, DenoiseHandler.DEFAULT_CHECKPOINT_EVERY);

  @RegisterExtension static final HandlerFixture FIXTURE = new HandlerFixture();

  /** The task as ENCODE hands it on: carrying the {@link Conditioning} of its prompt. */
  private static RenderTask encoded(RenderTask task) throws Exception {
    TextEncodeStage.Conditioning text = new TextEncodeStage(PACK, ENGINE)
        .encode(task.getSpec().getPrompt(), task.getSpec().getNegativePrompt());
    return TestTasks.with(task,
        new Conditioning(text.positive().inputs(), text.negative().inputs()).store(FIXTURE.context(), task));
  }

  @Test
  void invalidSizeIsBadInputNamingTheNearestValidSizes() {
    RenderTask task = task(spec("bad-size", 100, 64, 6, 4, true, true), 1);
    assertThatThrownBy(() -> DENOISE.handle(task, FIXTURE.context()))
        .isInstanceOf(InvalidRenderException.class)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("width 100 is not valid for pack tiny")
        .hasMessageContaining("nearest valid: 96 or 128")
        .hasMessageContaining("frames 6 is not valid")
        .hasMessageContaining("nearest valid: 5 or 9");
  }

  @Test
  void resumingFromACheckpointGivesBitIdenticalLatents() throws Exception {
    DenoiseHandler denoise = new DenoiseHandler(PACK, ENGINE, 2);
    RenderTask encoded = encoded(task(spec("resume"), 1));
    FakeStageContext straight = FIXTURE.context();
    FloatTensor expected = latentOf(denoise.handle(encoded, straight));
    assertThat(straight.progress).containsExactly(0, 1, 2, 3, 4); // 0: where the steps start

    // Attempt 2 has its own checkpoint key; its first delivery stops after step 3, past the checkpoint at 2.
    RenderTask retried = RenderTask.newBuilder(encoded).setAttempt(2).build();
    FakeStageContext crashed = FIXTURE.context(step -> step >= 3);
    assertThatThrownBy(() -> denoise.handle(retried, crashed)).isInstanceOf(SamplingCancelledException.class);
    assertThat(FIXTURE.store().exists(FakeStageContext.WORK, "jobs/resume/attempt-2/denoise/checkpoint.safetensors"))
        .isTrue();

    FakeStageContext redelivered = FIXTURE.context();
    FloatTensor resumed = latentOf(denoise.handle(retried, redelivered));
    assertThat(redelivered.progress).containsExactly(2, 3, 4); // picked up at the checkpoint, not at noise
    assertThat(resumed.shape()).isEqualTo(expected.shape());
    assertThat(resumed.data()).isEqualTo(expected.data());
  }

  @Test
  void aDamagedCheckpointRestartsFromNoiseAndRendersTheSameLatent() throws Exception {
    DenoiseHandler denoise = new DenoiseHandler(PACK, ENGINE, 2);
    RenderTask encoded = encoded(task(spec("damaged"), 1));
    FloatTensor expected = latentOf(denoise.handle(encoded, FIXTURE.context()));

    // Attempt 2's checkpoint: a header that names no shape (it once threw a NullPointerException), then garbage.
    RenderTask retried = RenderTask.newBuilder(encoded).setAttempt(2).build();
    String key = "jobs/damaged/attempt-2/denoise/checkpoint.safetensors";
    byte[] json = "{\"latent\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}".getBytes(StandardCharsets.UTF_8);
    byte[] noShape = ByteBuffer.allocate(8 + json.length + 4).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length)
        .put(json).array();
    for (byte[] damaged : List.of(noShape, "not a checkpoint".getBytes(StandardCharsets.UTF_8))) {
      FIXTURE.store().put(FakeStageContext.WORK, key, damaged, Artifact.Format.SAFETENSORS, "denoise", "checkpoint",
          List.of());
      FakeStageContext redelivered = FIXTURE.context();
      FloatTensor fromNoise = latentOf(denoise.handle(retried, redelivered));
      assertThat(redelivered.progress).containsExactly(0, 1, 2, 3, 4); // from noise: every step again
      assertThat(fromNoise.data()).isEqualTo(expected.data());
    }
  }

  private static FloatTensor latentOf(Result result) throws Exception {
    return (FloatTensor) StoredTensors.get(FIXTURE.store(), result.artifacts().get(0)).get("latent");
  }

  @Test
  void stopRequestedMidDenoiseStopsWithinOneStep() throws Exception {
    RenderTask encoded = encoded(task(spec("stop"), 1));
    FakeStageContext ctx = FIXTURE.context(step -> step >= 2);
    assertThatThrownBy(() -> DENOISE.handle(encoded, ctx))
        .isInstanceOfSatisfying(SamplingCancelledException.class, e -> assertThat(e.completedSteps()).isEqualTo(2));
    assertThat(ctx.progress).containsExactly(0, 1, 2);
    assertThat(FIXTURE.store().exists(FakeStageContext.WORK, "jobs/stop/attempt-1/denoise/latent.safetensors"))
        .isFalse();
  }

  @Test
  void checkpointsNeedAtLeastOneStepBetweenThem() {
    assertThatThrownBy(() -> new DenoiseHandler(PACK, ENGINE, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void denoiseRunsTheDitAndReportsItsEngine() {
    assertThat(DenoiseHandler.networks(PACK)).containsExactly("dit");
    assertThat(DENOISE.stage()).isEqualTo(Stage.DENOISE);
    assertThat(DENOISE.engine()).contains("onnxruntime");
  }
}
