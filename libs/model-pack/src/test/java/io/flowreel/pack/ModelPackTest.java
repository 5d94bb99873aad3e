package io.flowreel.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPackTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> FILES = List.of("text_clip.onnx", "text_byt5.onnx", "dit.onnx",
      "decoder.onnx", "upsampler.onnx", "tokenizers/clip.json");

  @TempDir Path dir;

  @Test
  void loadsAConsistentPack() throws IOException {
    writePack(m -> {});
    ModelPack pack = ModelPack.load(dir);
    assertThat(pack.name()).isEqualTo("fixture");
    assertThat(pack.networkFile("dit")).isEqualTo(dir.toAbsolutePath().resolve("dit.onnx"));
    assertThat(pack.fileHashes()).hasSize(FILES.size()).containsKey("dit.onnx");
  }

  @Test
  void missingManifestIsNamed() {
    assertThatThrownBy(() -> ModelPack.load(dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("pack.json: missing");
  }

  @Test
  void missingFileIsNamed() throws IOException {
    writePack(m -> {});
    Files.delete(dir.resolve("decoder.onnx"));
    assertThatThrownBy(() -> ModelPack.load(dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("decoder.onnx: missing");
  }

  @Test
  void changedFileIsAHashMismatch() throws IOException {
    writePack(m -> {});
    Files.writeString(dir.resolve("dit.onnx"), "tampered!"); // same length as the placeholder
    assertThatThrownBy(() -> ModelPack.load(dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("dit.onnx: sha256 mismatch");
  }

  @Test
  void truncatedFileIsASizeMismatch() throws IOException {
    writePack(m -> {});
    Files.writeString(dir.resolve("upsampler.onnx"), "x");
    assertThatThrownBy(() -> ModelPack.load(dir))
        .hasMessageContaining("upsampler.onnx: size 1 bytes, manifest says");
  }

  @Test
  void unlistedFileIsRefused() throws IOException {
    writePack(m -> ((ArrayNode) m.get("files")).remove(0));
    assertThatThrownBy(() -> ModelPack.load(dir))
        .hasMessageContaining("text_clip.onnx: used by the manifest but not listed in 'files'");
  }

  @Test
  void encoderWidthThatDisagreesWithTheDitIsInconsistent() throws IOException {
    writePack(m -> ((ObjectNode) m.withArray("textEncoders").get(1)).put("width", 40));
    assertThatThrownBy(() -> ModelPack.load(dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("text_byt5.onnx: tokens [batch, 64, 48]: dimension 2 must be 40")
        .hasMessageContaining("dit.onnx: byt5_tokens [batch, 64, 48]: dimension 2 must be 40");
  }

  @Test
  void latentChannelsMustAgreeAcrossNetworks() throws IOException {
    writePack(m -> ((ObjectNode) m.get("latent")).put("channels", 16));
    assertThatThrownBy(() -> ModelPack.load(dir))
        .hasMessageContaining("dit.onnx: latent [batch, 8, t, h, w]: dimension 1 must be 16")
        .hasMessageContaining("decoder.onnx: latent");
  }

  @Test
  void missingDitTextInputIsNamed() throws IOException {
    writePack(m -> ((ArrayNode) m.at("/networks/dit/inputs")).remove(4));
    assertThatThrownBy(() -> ModelPack.load(dir))
        .hasMessageContaining("dit.onnx: network 'dit' has no input 'byt5_tokens'");
  }

  @Test
  void undeclaredNetworkAndUnknownTokenizerAreNamed() throws IOException {
    writePack(m -> {
      ((ObjectNode) m.get("decoder")).put("network", "vae");
      ((ObjectNode) m.at("/textEncoders/1/tokenizer")).put("kind", "sentencepiece");
    });
    assertThatThrownBy(() -> ModelPack.load(dir))
        .hasMessageContaining("'vae' is used but not declared");
  }

  @Test
  void causalDecoderWithoutCachesOrWithMismatchedCacheIsRefused() throws IOException {
    writePack(m -> {
      ((ObjectNode) m.get("decoder")).putArray("caches");
      ((ObjectNode) m.at("/networks/decoder/outputs/1")).putArray("shape").add("batch").add(32).add(2).add("h").add("w");
    });
    assertThatThrownBy(() -> ModelPack.load(dir))
        .hasMessageContaining("a causal decoder must list its convolution caches");
    writePack(m -> ((ObjectNode) m.at("/networks/decoder/outputs/1")).putArray("shape")
        .add("batch").add(32).add(2).add("h").add("w"));
    assertThatThrownBy(() -> ModelPack.load(dir))
        .hasMessageContaining("cache cache_0 [batch, 64, 2, h, w] and next_cache_0 [batch, 32, 2, h, w] must have the same shape");
  }

  @Test
  void outputDefaultsAreRead() throws IOException {
    writePack(m -> {});
    assertThat(ModelPack.load(dir).manifest().output()).isEqualTo(new PackManifest.OutputDefaults(256, 256, 17, 8));
  }

  @Test
  void missingOutputDefaultsAreRefused() throws IOException {
    writePack(m -> m.remove("output"));
    assertThatThrownBy(() -> ModelPack.load(dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("pack.json: 'output' is missing");
  }

  @Test
  void outputDefaultsThePackCannotRenderAreRefused() throws IOException {
    writePack(m -> ((ObjectNode) m.get("output")).put("width", 250).put("frames", 18).put("fps", 0));
    assertThatThrownBy(() -> ModelPack.load(dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("pack.json: output: width 250 is not valid for pack fixture")
        .hasMessageContaining("nearest valid: 224 or 256")
        .hasMessageContaining("frames 18 is not valid for pack fixture")
        .hasMessageContaining("pack.json: output: fps 0 must be between 1 and 120");
  }

  @Test
  void outputDefaultsAreFinalSizesWithTheUpsamplerOn() throws IOException {
    // 48 is a valid decoder size (a multiple of 16) but not a final one (multiples of 32).
    writePack(m -> ((ObjectNode) m.get("output")).put("height", 48));
    assertThatThrownBy(() -> ModelPack.load(dir))
        .hasMessageContaining("pack.json: output: height 48 is not valid for pack fixture: it must be a multiple of 32");
  }

  @Test
  void unsupportedFormatVersionIsRefused() throws IOException {
    writePack(m -> m.put("formatVersion", 2));
    assertThatThrownBy(() -> ModelPack.load(dir)).hasMessageContaining("formatVersion 2 is not supported");
  }

  /** Writes placeholder files and a manifest that lists them with their real hashes. */
  private void writePack(Consumer<ObjectNode> edit) throws IOException {
    ObjectNode manifest;
    try (InputStream in = getClass().getResourceAsStream("/fixture-pack.json")) {
      manifest = (ObjectNode) JSON.readTree(in);
    }
    ArrayNode files = manifest.putArray("files");
    for (String file : FILES) {
      Path path = dir.resolve(file);
      Files.createDirectories(path.getParent());
      Files.writeString(path, "content:" + file.charAt(0), StandardCharsets.UTF_8);
      files.addObject().put("path", file).put("sha256", ModelPack.sha256(path)).put("size", Files.size(path));
    }
    edit.accept(manifest);
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(ModelPack.MANIFEST).toFile(), manifest);
  }
}
