package io.flowreel.denoiser;

import static io.flowreel.service.testing.TestTasks.spec;
import static io.flowreel.service.testing.TestTasks.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowreel.artifacts.Conditioning;
import io.flowreel.artifacts.StoredTensors;
import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.infra.DataDirs;
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
import io.flowreel.tensor.SafeTensors;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** DENOISE on the real tiny pack against a real S3 server: checkpoints, resuming, stopping, bad input. */
class DenoiseHandlerTest {

  private static final ModelPack PACK = HandlerFixture.tinyPack();
  private static final InferenceEngine ENGINE = OnnxRuntimeEngine.forPack(PACK);
  private static final DenoiseHandler DENOISE =
      new DenoiseHandler(PACK, ENGINE, DenoiseHandler.DEFAULT_CHECKPOINT_EVERY);

  @RegisterExtension static final HandlerFixture FIXTURE = new HandlerFixture();

  private static ModelPack unipcPack;

  @AfterAll
  static void deleteUniPcPack() throws IOException {
    if (unipcPack != null) {
      DataDirs.delete(unipcPack.root());
    }
  }

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
  void resumingUniPcFromItsCheckpointGivesBitIdenticalLatents() throws Exception {
    DenoiseHandler denoise = new DenoiseHandler(unipcPack(), ENGINE, 2);
    RenderTask encoded = encoded(task(spec("resume-unipc"), 1));
    FloatTensor expected = latentOf(denoise.handle(encoded, FIXTURE.context()));
    assertThat(expected.allFinite()).isTrue();

    RenderTask retried = RenderTask.newBuilder(encoded).setAttempt(2).build();
    assertThatThrownBy(() -> denoise.handle(retried, FIXTURE.context(step -> step >= 3)))
        .isInstanceOf(SamplingCancelledException.class);
    // The step-2 state: the latent and UniPC's whole history, under the sampler's own names.
    assertThat(SafeTensors.read(new ByteArrayInputStream(FIXTURE.store().find(FakeStageContext.WORK,
        "jobs/resume-unipc/attempt-2/denoise/checkpoint.safetensors").orElseThrow())).keySet())
        .containsExactlyInAnyOrder("latent", "completed_steps", "total_steps", "shift", "solver",
            "history.unipc.last_sample", "history.unipc.x0_previous", "history.unipc.x0_before_previous");

    FakeStageContext redelivered = FIXTURE.context();
    FloatTensor resumed = latentOf(denoise.handle(retried, redelivered));
    assertThat(redelivered.progress).containsExactly(2, 3, 4);
    assertThat(resumed.data()).isEqualTo(expected.data());
    assertThat(resumed.data()).isNotEqualTo(latentOf(DENOISE.handle(encoded, FIXTURE.context())).data()); // not Euler's
  }

  @Test
  void aCheckpointOfAnotherSolverIsNotResumed() throws Exception {
    RenderTask encoded = encoded(task(spec("other-solver"), 1));
    DenoiseHandler unipc = new DenoiseHandler(unipcPack(), ENGINE, 2);
    FloatTensor expected = latentOf(unipc.handle(encoded, FIXTURE.context()));

    // Attempt 2 stops after step 3 under Euler, leaving an Euler checkpoint at step 2; the pack now says UniPC.
    RenderTask retried = RenderTask.newBuilder(encoded).setAttempt(2).build();
    assertThatThrownBy(() -> new DenoiseHandler(PACK, ENGINE, 2).handle(retried, FIXTURE.context(step -> step >= 3)))
        .isInstanceOf(SamplingCancelledException.class);
    FakeStageContext redelivered = FIXTURE.context();
    FloatTensor fromNoise = latentOf(unipc.handle(retried, redelivered));
    assertThat(redelivered.progress).containsExactly(0, 1, 2, 3, 4);
    assertThat(fromNoise.data()).isEqualTo(expected.data());
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

  /** The tiny pack sampled by UniPC: models/tiny copied with {@code sampler.solver} set (pack.json is not hashed). */
  private static synchronized ModelPack unipcPack() throws IOException {
    if (unipcPack == null) {
      Path tiny = PACK.root();
      Path copy = Files.createTempDirectory("flowreel-unipc-pack");
      try (Stream<Path> files = Files.walk(tiny)) {
        for (Path from : (Iterable<Path>) files::iterator) {
          Files.copy(from, copy.resolve(tiny.relativize(from).toString()), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      ObjectMapper json = new ObjectMapper();
      ObjectNode manifest = (ObjectNode) json.readTree(tiny.resolve(ModelPack.MANIFEST).toFile());
      ((ObjectNode) manifest.get("sampler")).put("solver", "unipc");
      json.writeValue(copy.resolve(ModelPack.MANIFEST).toFile(), manifest);
      unipcPack = ModelPack.load(copy);
    }
    return unipcPack;
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
