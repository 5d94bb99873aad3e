package io.flowreel.decoder;

import static io.flowreel.service.testing.TestTasks.spec;
import static io.flowreel.service.testing.TestTasks.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowreel.artifacts.ClipFrames;
import io.flowreel.artifacts.Latent;
import io.flowreel.contract.JobSpecMapper;
import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.RenderPlan;
import io.flowreel.render.DecodeStage;
import io.flowreel.render.DenoiseStage;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.CorruptArtifactException;
import io.flowreel.service.testing.HandlerFixture;
import io.flowreel.service.testing.TestTasks;
import io.flowreel.tensor.ByteTensor;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Pixels;
import io.flowreel.tiling.FrameCollector;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** DECODE on the real tiny pack against a real S3 server. */
class DecodeHandlerTest {

  private static final ModelPack PACK = HandlerFixture.tinyPack();
  private static final InferenceEngine ENGINE = OnnxRuntimeEngine.forPack(PACK);
  private static final DecodeHandler DECODE = new DecodeHandler(PACK, ENGINE);

  @RegisterExtension static final HandlerFixture FIXTURE = new HandlerFixture();

  /** The latent DENOISE would start from: the job's seeded noise is a latent of the right shape. */
  private static FloatTensor latent(RenderTask task) {
    return new DenoiseStage(PACK, ENGINE).initialNoise(
        RenderPlan.of(task.getSpec().getJobId(), JobSpecMapper.settings(task.getSpec()), PACK));
  }

  @Test
  void decodesTheLatentToTheWholeClipAsTheLocalDecoderStreamsIt() throws Exception {
    RenderTask task = task(spec("frames", 64, 64, 17, 2, true, true), 1);
    FloatTensor latent = latent(task);
    RenderTask denoised = TestTasks.with(task, Latent.store(FIXTURE.context(), task, latent));

    Artifact frames = DECODE.handle(denoised, FIXTURE.context()).artifacts().get(0);
    assertThat(frames.key()).isEqualTo("jobs/frames/attempt-1/decode/frames.safetensors");
    ByteTensor clip = ClipFrames.read(FIXTURE.context(), TestTasks.with(denoised, frames));
    assertThat(clip.shape()).containsExactly(17, 3, 32, 32); // upsampled later to 64x64
    FrameCollector local = new FrameCollector();
    new DecodeStage(PACK, ENGINE).decode(latent, local);
    assertThat(clip.data()).isEqualTo(Pixels.quantize(local.clip()).data());
  }

  @Test
  void corruptLatentIsRefusedByDecode() throws Exception {
    RenderTask task = task(spec("corrupt"), 1);
    Artifact latent = Latent.store(FIXTURE.context(), task, latent(task));
    byte[] bytes = FIXTURE.store().get(latent);
    bytes[bytes.length - 1] ^= 1; // one bit of the last float
    FIXTURE.store().put(latent.bucket(), latent.key(), bytes, Artifact.Format.SAFETENSORS, "denoise", "latent",
        List.of());

    RenderTask denoised = TestTasks.with(task, latent);
    assertThatThrownBy(() -> DECODE.handle(denoised, FIXTURE.context()))
        .isInstanceOf(CorruptArtifactException.class)
        .hasMessageContaining(latent.key()).hasMessageContaining("sha256");
  }

  @Test
  void decodeRunsTheDecoderAndReportsItsEngine() {
    assertThat(DecodeHandler.networks(PACK)).containsExactly("decoder");
    assertThat(DECODE.stage()).isEqualTo(Stage.DECODE);
    assertThat(DECODE.engine()).contains("onnxruntime");
  }

  @Test
  void aDecoderWithAFirstNetworkRunsBoth() {
    ModelPack wan = ModelPack.load(Path.of(System.getProperty("flowreel.repo", "../..")).resolve("models/wan-reduced"));
    assertThat(DecodeHandler.networks(wan)).containsExactly("decoder_first", "decoder");
  }
}
