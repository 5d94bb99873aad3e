package io.flowreel.render;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowreel.contract.RenderManifest;
import io.flowreel.contract.RenderSettings;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.RenderPlan;
import io.flowreel.text.TextConditioning;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job without a negative prompt takes the pack's ({@code sampler.negativePrompt}, as Wan2.1's
 * pipeline does), in what ENCODE encodes and in the manifest alike; an empty one asks for none.
 */
class NegativePromptTest {

  private static final Path TINY = Path.of(System.getProperty("flowreel.repo", "../..")).resolve("models/tiny");
  private static final String DEFAULT = "a blurry static grey frame";

  @TempDir static Path dir;

  @Test
  void aJobWithoutOneTakesThePacksDefaultAndAnEmptyOneAsksForNone() throws IOException {
    ModelPack pack = tinyWithNegativePrompt(DEFAULT);
    assertThat(plan(null, pack).negativePrompt()).isEqualTo(DEFAULT);
    assertThat(plan("", pack).negativePrompt()).isEmpty();
    assertThat(plan("text", pack).negativePrompt()).isEqualTo("text");
    assertThat(plan(null, ModelPack.load(TINY)).negativePrompt()).isNull(); // the tiny pack has none

    RenderManifest manifest = plan(null, pack).manifest("a red ball", pack, "onnxruntime", Map.of(), Map.of(),
        new RenderManifest.Outputs(null, "j.mp4", "j.png", null));
    assertThat(manifest.negativePrompt()).isEqualTo(DEFAULT);
  }

  @Test
  void encodeEncodesThePacksDefaultWhenTheJobGivesNone() throws IOException {
    ModelPack pack = tinyWithNegativePrompt(DEFAULT);
    TextEncodeStage encode = new TextEncodeStage(pack, OnnxRuntimeEngine.forPack(pack));
    TextConditioning unset = encode.encode("a red ball", null).negative();
    assertSame(unset, encode.encode("a red ball", DEFAULT).negative());
    TextConditioning none = encode.encode("a red ball", "").negative();
    assertThat(none.inputs().get("clip_pooled").data()).isNotEqualTo(unset.inputs().get("clip_pooled").data());
    ModelPack tiny = ModelPack.load(TINY);
    assertSame(none, new TextEncodeStage(tiny, OnnxRuntimeEngine.forPack(tiny)).encode("a red ball", null).negative());
  }

  private static void assertSame(TextConditioning actual, TextConditioning expected) {
    assertThat(actual.inputs().keySet()).isEqualTo(expected.inputs().keySet());
    expected.inputs().forEach((name, t) -> assertThat(actual.inputs().get(name).data()).as(name).isEqualTo(t.data()));
  }

  private static RenderPlan plan(String negativePrompt, ModelPack pack) {
    return RenderPlan.of("j", new RenderSettings("a red ball", negativePrompt, 1, 128, 96, 9, 8, 2, null, null, null,
        0, false, true), pack);
  }

  /** models/tiny copied with a default negative prompt in its pack.json (which the pack's hashes leave out). */
  private static ModelPack tinyWithNegativePrompt(String negativePrompt) throws IOException {
    Path copy = dir.resolve("tiny");
    if (!Files.exists(copy)) {
      try (Stream<Path> files = Files.walk(TINY)) {
        for (Path from : (Iterable<Path>) files::iterator) {
          Files.copy(from, copy.resolve(TINY.relativize(from).toString()));
        }
      }
    }
    ObjectMapper json = new ObjectMapper();
    ObjectNode manifest = (ObjectNode) json.readTree(TINY.resolve(ModelPack.MANIFEST).toFile());
    ((ObjectNode) manifest.get("sampler")).put("negativePrompt", negativePrompt);
    json.writeValue(copy.resolve(ModelPack.MANIFEST).toFile(), manifest);
    return ModelPack.load(copy);
  }
}
