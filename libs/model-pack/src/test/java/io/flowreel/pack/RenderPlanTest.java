package io.flowreel.pack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.contract.RenderManifest;
import io.flowreel.contract.RenderSettings;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RenderPlanTest {

  private static final ModelPack PACK =
      ModelPack.load(Path.of(System.getProperty("flowreel.repo", "../..")).resolve("models/tiny"));
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void unsetSamplerSettingsTakeThePacksDefaults() {
    RenderPlan plan = RenderPlan.of("j", new RenderSettings("a", null, 1, 128, 96, 9, 8, null, null, null, null, 0,
        true, true), PACK);
    assertThat(plan.steps()).isEqualTo(PACK.manifest().sampler().steps());
    assertThat(plan.guidance()).isEqualTo(PACK.manifest().sampler().guidance());
    assertThat(plan.shift()).isEqualTo(PACK.manifest().sampler().shift());
  }

  @Test
  void theManifestSaysWhatWasAskedAndRoundTripsThroughJson() throws Exception {
    RenderSettings asked = new RenderSettings("a red ball", "blur", 42, 128, 96, 9, 12, 3, 4.5, 2.5, "tiny", 7, false,
        true);
    RenderManifest local = RenderPlan.of("j", asked, PACK).manifest("a red ball, wide shot", PACK, "onnxruntime",
        Map.of("denoise", "onnxruntime"), Map.of("denoise", 5L), new RenderManifest.Outputs(null, "j.mp4", "j.png",
            null));
    assertThat(local).returns(asked.prompt(), RenderManifest::prompt)
        .returns(asked.negativePrompt(), RenderManifest::negativePrompt).returns(asked.seed(), RenderManifest::seed)
        .returns(asked.width(), RenderManifest::width).returns(asked.height(), RenderManifest::height)
        .returns(asked.frames(), RenderManifest::frames).returns(asked.fps(), RenderManifest::fps)
        .returns(3, RenderManifest::steps).returns(4.5, RenderManifest::guidance).returns(2.5, RenderManifest::shift)
        .returns(true, RenderManifest::upsampled).returns("tiny", m -> m.pack().name());
    assertThat(JSON.readValue(JSON.writeValueAsBytes(local), RenderManifest.class)).isEqualTo(local);

    // A local manifest leaves out what only the farm knows; the farm's names its batch, tenant and attempt.
    JsonNode localJson = JSON.valueToTree(local);
    assertThat(localJson.has("batchId") || localJson.has("attempt") || localJson.get("outputs").has("bucket"))
        .isFalse();
    RenderManifest published = local.published("b-1", "studio-a", 2);
    assertThat(JSON.readValue(JSON.writeValueAsBytes(published), RenderManifest.class)).isEqualTo(published);
    assertThat(JSON.valueToTree(published).get("attempt").asInt()).isEqualTo(2);
  }

  /** A stage renders with the pack it loaded: a job for another pack is refused, not rendered with the wrong one. */
  @Test
  void aJobForAnotherPackIsRefused() {
    RenderSettings other = new RenderSettings("a", null, 1, 128, 96, 9, 8, null, null, null, "wan2.1-t2v-reduced", 0,
        true, true);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> RenderPlan.of("j", other, PACK))
        .isInstanceOf(InvalidRenderException.class)
        .hasMessageContaining("the job asks for pack 'wan2.1-t2v-reduced', but this renderer has pack 'tiny'");
  }

  /** The problems RenderPlan names for these prompts at a valid size, or none. */
  java.util.List<String> problems(String prompt, String negativePrompt) {
    try {
      RenderPlan.of("j", new RenderSettings(prompt, negativePrompt, 1, 128, 96, 9, 8, null, null, null, null, 0,
          true, true), PACK);
      return java.util.List.of();
    } catch (InvalidRenderException e) {
      return e.problems();
    }
  }
}
