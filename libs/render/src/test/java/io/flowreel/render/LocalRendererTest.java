package io.flowreel.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowreel.pack.RenderPlan;
import io.flowreel.pack.InvalidRenderException;
import io.flowreel.contract.RenderManifest;
import io.flowreel.messages.Stage;
import io.flowreel.contract.Stages;
import io.flowreel.contract.RenderSettings;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.media.Mp4Reader;
import io.flowreel.media.RgbFrame;
import io.flowreel.pack.ModelPack;
import io.flowreel.sampling.SamplingCancelledException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline in one process on the tiny pack. */
class LocalRendererTest {

  private static final ModelPack PACK =
      ModelPack.load(Path.of(System.getProperty("flowreel.repo", "../..")).resolve("models/tiny"));
  private final LocalRenderer renderer = new LocalRenderer(PACK, OnnxRuntimeEngine.forPack(PACK));

  @TempDir Path out;

  private static RenderPlan spec(String id, long seed) {
    return RenderPlan.of(id, new RenderSettings("a red ball bouncing on a blue floor", null, seed, 128, 96, 9, 8, 4, null, null, null, 0, true, true), PACK);
  }

  @Test
  void rendersVideoPosterAndManifest() throws Exception {
    List<String> events = new ArrayList<>();
    RenderManifest manifest = renderer.render(spec("clip", 42), out, new LocalRenderer.Progress() {
      @Override
      public void stage(String jobId, Stage stage) {
        events.add(Stages.id(stage));
      }

      @Override
      public void step(String jobId, int completed, int total) {
        events.add(completed + "/" + total);
      }
    }, () -> false);

    assertThat(events).containsExactly("rewrite", "encode", "denoise", "1/4", "2/4", "3/4", "4/4", "decode", "publish");
    Mp4Reader.VideoInfo info = Mp4Reader.probe(out.resolve("clip.mp4"));
    assertThat(info.frames()).isEqualTo(9);
    assertThat(info.width()).isEqualTo(128);
    assertThat(info.height()).isEqualTo(96);
    assertThat(info.codec()).isEqualTo("h264");
    assertThat(info.pixelFormat()).isEqualTo("yuv420p");
    assertThat(Files.size(out.resolve("clip.png"))).isPositive();

    JsonNode json = new ObjectMapper().readTree(out.resolve("clip.json").toFile());
    assertThat(json.get("prompt").asText()).isEqualTo("a red ball bouncing on a blue floor");
    assertThat(json.get("rewrittenPrompt").asText()).startsWith("A red ball bouncing on a blue floor.");
    assertThat(json.get("seed").asLong()).isEqualTo(42);
    assertThat(json.get("steps").asInt()).isEqualTo(4);
    assertThat(json.get("guidance").asDouble()).isEqualTo(PACK.manifest().sampler().guidance());
    assertThat(json.at("/pack/name").asText()).isEqualTo("tiny");
    assertThat(json.at("/pack/sha256/dit.onnx").asText()).hasSize(64);
    assertThat(json.get("stageMillis").fieldNames()).toIterable()
        .containsExactly("rewrite", "encode", "denoise", "decode", "upsample", "publish");
    assertThat(json.get("engine").asText()).isEqualTo("onnxruntime");
    assertThat(manifest.engines()).containsOnlyKeys("encode", "denoise", "decode", "upsample")
        .containsValue("onnxruntime").doesNotContainValue("tensorrt");
    assertThat(manifest.outputs().video()).isEqualTo("clip.mp4");
    try (Stream<Path> files = Files.list(out)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("clip.mp4", "clip.png", "clip.json");
    }
  }

  @Test
  void oneSeedGivesIdenticalFramesAndAnotherSeedDoesNot() throws Exception {
    renderer.render(spec("a", 7), out, LocalRenderer.Progress.NONE, () -> false);
    renderer.render(spec("b", 7), out, LocalRenderer.Progress.NONE, () -> false);
    renderer.render(spec("c", 8), out, LocalRenderer.Progress.NONE, () -> false);
    List<RgbFrame> a = Mp4Reader.readAll(out.resolve("a.mp4"));
    assertThat(Mp4Reader.readAll(out.resolve("b.mp4"))).isEqualTo(a);
    assertThat(Mp4Reader.readAll(out.resolve("c.mp4"))).isNotEqualTo(a);
  }

  @Test
  void withoutUpsamplingTheDecoderSizeIsPublished() throws Exception {
    RenderPlan preview = RenderPlan.of("preview", new RenderSettings("a green square", null, 1, 64, 48, 5, 8, 2, 1.0, null, null, 0, false, false), PACK);
    RenderManifest manifest = renderer.render(preview, out, LocalRenderer.Progress.NONE, () -> false);
    assertThat(manifest.rewrittenPrompt()).isEqualTo("a green square");
    assertThat(manifest.stageMillis()).doesNotContainKey("upsample");
    assertThat(manifest.engines()).doesNotContainKey("upsample");
    Mp4Reader.VideoInfo info = Mp4Reader.probe(out.resolve("preview.mp4"));
    assertThat(info.width()).isEqualTo(64);
    assertThat(info.frames()).isEqualTo(5);
  }

  @Test
  void invalidRequestNamesTheNearestValidValues() {
    RenderSettings bad = new RenderSettings("x", null, 1, 100, 96, 10, 8, 4, 50.0, null, null, 0, true, true);
    assertThatThrownBy(() -> renderer.render(RenderPlan.of("bad", bad, PACK), out, LocalRenderer.Progress.NONE, () -> false))
        .isInstanceOf(InvalidRenderException.class)
        .hasMessageContaining("width 100 is not valid for pack tiny: it must be a multiple of 32")
        .hasMessageContaining("nearest valid: 96 or 128")
        .hasMessageContaining("frames 10 is not valid")
        .hasMessageContaining("nearest valid: 9 or 13")
        .hasMessageContaining("guidance 50.0 must be between 1");
    assertThat(out).isEmptyDirectory();
  }

  @Test
  void cancelledRenderLeavesNoFiles() {
    int[] steps = {0};
    assertThatThrownBy(() -> renderer.render(spec("cancelled", 1), out, new LocalRenderer.Progress() {
      @Override
      public void stage(String jobId, Stage stage) {}

      @Override
      public void step(String jobId, int completed, int total) {
        steps[0] = completed;
      }
    }, () -> steps[0] >= 2)).isInstanceOf(SamplingCancelledException.class).hasMessage("cancelled after 2 denoising steps");
    assertThat(out).isEmptyDirectory();
  }

}
