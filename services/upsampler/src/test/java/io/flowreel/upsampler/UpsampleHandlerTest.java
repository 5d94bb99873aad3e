package io.flowreel.upsampler;

import static io.flowreel.service.testing.TestTasks.spec;
import static io.flowreel.service.testing.TestTasks.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowreel.artifacts.ClipFrames;
import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.PermanentStageException;
import io.flowreel.service.testing.HandlerFixture;
import io.flowreel.service.testing.TestTasks;
import io.flowreel.tensor.ByteTensor;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Pixels;
import java.util.IntSummaryStatistics;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** UPSAMPLE on the real tiny pack against a real S3 server. */
class UpsampleHandlerTest {

  private static final ModelPack PACK = HandlerFixture.tinyPack();
  private static final InferenceEngine ENGINE = OnnxRuntimeEngine.forPack(PACK);
  private static final UpsampleHandler UPSAMPLE = new UpsampleHandler(PACK, ENGINE);

  @RegisterExtension static final HandlerFixture FIXTURE = new HandlerFixture();

  /** A decoded clip: a smooth pattern in [-1, 1] that moves from frame to frame. */
  private static ByteTensor decoded(int frames, int height, int width) {
    float[] data = new float[frames * 3 * height * width];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) Math.sin(i * 0.01);
    }
    return Pixels.quantize(new FloatTensor(new int[] {frames, 3, height, width}, data));
  }

  @Test
  void theNewestFramesAreStoredAgainAtTheUpsamplersSize() throws Exception {
    // 17 frames: the decoder streams two chunks (13 + 4 frames), which the upsampler follows.
    RenderTask task = task(spec("bigger", 64, 64, 17, 2, true, true), 1);
    RenderTask decoded = TestTasks.with(task,
        ClipFrames.store(FIXTURE.context(), task, Stage.DECODE, decoded(17, 32, 32)));

    Artifact frames = UPSAMPLE.handle(decoded, FIXTURE.context()).artifacts().get(0);
    assertThat(frames.name()).isEqualTo(ClipFrames.NAME);
    assertThat(frames.key()).isEqualTo("jobs/bigger/attempt-1/upsample/frames.safetensors");
    ByteTensor clip = ClipFrames.read(FIXTURE.context(), TestTasks.with(decoded, frames));
    assertThat(clip.shape()).containsExactly(17, 3, 64, 64);
    // not a flat picture: the upsampler's output spans the pattern's range
    IntSummaryStatistics values = IntStream.range(0, clip.data().length).map(i -> clip.data()[i] & 0xff)
        .summaryStatistics();
    assertThat(values.getMin()).isLessThan(64);
    assertThat(values.getMax()).isGreaterThan(192);
  }

  @Test
  void upsampleRunsTheUpsamplerAndReportsItsEngine() {
    assertThat(UpsampleHandler.networks(PACK)).containsExactly("upsampler");
    assertThat(UPSAMPLE.stage()).isEqualTo(Stage.UPSAMPLE);
    assertThat(UPSAMPLE.engine()).contains("onnxruntime");
  }

  /** A Wan2.1 pack has no upsampler: the service still starts, and a task sent to it anyway fails for good. */
  @Test
  void aPackWithoutAnUpsamplerOpensNothingAndRefusesItsTasks() throws Exception {
    ModelPack wan = ModelPack.load(HandlerFixture.tinyPack().root().resolveSibling("wan-reduced"));
    UpsampleHandler handler = new UpsampleHandler(wan, OnnxRuntimeEngine.forPack(wan));
    assertThat(UpsampleHandler.networks(wan)).isEmpty();
    RenderTask task = task(spec("no-upsampler", 64, 64, 5, 2, true, true), 1);
    assertThatThrownBy(() -> handler.handle(task, FIXTURE.context()))
        .isInstanceOf(PermanentStageException.class).hasMessageContaining("has no upsampler");
  }
}
