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

  @Test
  void aListedFileThatIsASymlinkOutOfThePackIsRefused(@TempDir Path outside) throws IOException {
    writePack(m -> {});
    Path elsewhere = Files.copy(dir.resolve("dit.onnx"), outside.resolve("dit.onnx"));
    Files.delete(dir.resolve("dit.onnx"));
    Files.createSymbolicLink(dir.resolve("dit.onnx"), elsewhere);
    assertThatThrownBy(() -> ModelPack.load(dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("pack.json: files[2].path = 'dit.onnx': resolves to " + elsewhere.toRealPath()
            + ", outside the pack (through a symlink)");
  }

  @Test
  void aFolderThatIsASymlinkOutOfThePackIsRefused(@TempDir Path outside) throws IOException {
    writePack(m -> {});
    Files.move(dir.resolve("tokenizers"), outside.resolve("tokenizers"));
    Files.createSymbolicLink(dir.resolve("tokenizers"), outside.resolve("tokenizers"));
    assertThatThrownBy(() -> ModelPack.load(dir))
        .hasMessageContaining("files[5].path = 'tokenizers/clip.json': resolves to")
        .hasMessageContaining("outside the pack");
  }

  @Test
  void symlinksThatStayInsideThePackAreFine() throws IOException {
    writePack(m -> {});
    Files.move(dir.resolve("dit.onnx"), Files.createDirectories(dir.resolve("blobs")).resolve("dit"));
    Files.createSymbolicLink(dir.resolve("dit.onnx"), Path.of("blobs/dit"));
    assertThat(ModelPack.load(dir).name()).isEqualTo("fixture");
  }

  @Test
  void aManifestThatIsASymlinkOutOfThePackIsRefused(@TempDir Path outside) throws IOException {
    writePack(m -> {});
    Files.move(dir.resolve(ModelPack.MANIFEST), outside.resolve(ModelPack.MANIFEST));
    Files.createSymbolicLink(dir.resolve(ModelPack.MANIFEST), outside.resolve(ModelPack.MANIFEST));
    assertThatThrownBy(() -> ModelPack.load(dir)).hasMessageContaining("pack.json: resolves to")
        .hasMessageContaining("outside the pack");
  }

  @Test
  void pathsUpOutOfThePackOrAbsoluteAreRefused() throws IOException {
    writePack(m -> {
      ((ObjectNode) m.at("/networks/dit")).put("file", "../dit.onnx");
      ((ObjectNode) m.at("/textEncoders/0/tokenizer")).put("file", "tokenizers/../../../etc/passwd");
      ((ObjectNode) m.at("/files/0")).put("path", "/etc/passwd");
    });
    assertThatThrownBy(() -> ModelPack.load(dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("pack.json: networks.dit.file = '../dit.onnx': lies outside the pack")
        .hasMessageContaining("pack.json: textEncoders[0].tokenizer.file = 'tokenizers/../../../etc/passwd': lies "
            + "outside the pack")
        .hasMessageContaining("pack.json: files[0].path = '/etc/passwd': must be relative to the pack folder");
  }

  @Test
  void aBillionDefaultStepsAreRefused() throws IOException {
    writePack(m -> ((ObjectNode) m.get("sampler")).put("steps", 1_000_000_000));
    assertThatThrownBy(() -> ModelPack.load(dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("pack.json: sampler.steps = 1000000000: must be 1..200");
  }

  @Test
  void numbersOutOfRangeAreNamedByField() throws IOException {
    writePack(m -> {
      ((ObjectNode) m.get("latent")).put("channels", -8);
      ((ObjectNode) m.get("sampler")).put("guidance", 0.5).put("shift", 1e308 * 10);
      ((ObjectNode) m.get("limits")).put("maxLatentSize", 1);
      ((ObjectNode) m.get("decoder")).put("spatialFactor", 0).put("spatialContext", -1);
      ((ObjectNode) m.get("upsampler")).put("factor", Integer.MAX_VALUE);
      m.withArray("/dit/patchSize").set(1, 0);
      ((ObjectNode) m.at("/textEncoders/1")).put("maxLength", 1 << 30);
    });
    assertThatThrownBy(() -> ModelPack.load(dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("pack.json: latent.channels = -8: must be 1..1024")
        .hasMessageContaining("pack.json: sampler.guidance = 0.5: must be 1..30.0")
        .hasMessageContaining("pack.json: sampler.shift = Infinity: must be above 0 and at most 100")
        .hasMessageContaining("pack.json: limits: maxLatentSize 1 < minLatentSize 2")
        .hasMessageContaining("pack.json: decoder.spatialFactor = 0: must be 1..64")
        .hasMessageContaining("pack.json: decoder.spatialContext = -1: must be 0..1024")
        .hasMessageContaining("pack.json: upsampler.factor = 2147483647: must be 1..8")
        .hasMessageContaining("pack.json: dit.patchSize[1] = 0: must be 1..16")
        .hasMessageContaining("pack.json: textEncoders[1].maxLength = 1073741824: must be 1..16384");
  }

  @Test
  void negativeAndOverflowingTensorDimensionsAreRefused() throws IOException {
    writePack(m -> {
      ((ArrayNode) m.at("/networks/dit/inputs/0/shape")).set(1, -8);
      ((ObjectNode) m.at("/networks/upsampler/inputs/0")).putArray("shape").add("n").add(1 << 20).add(1 << 20)
          .add(1 << 20);
    });
    assertThatThrownBy(() -> ModelPack.load(dir))
        .hasMessageContaining("pack.json: networks.dit.inputs[0].shape[1] = -8: must be 1..1048576")
        .hasMessageContaining("pack.json: networks.upsampler.inputs[0].shape [n, 1048576, 1048576, 1048576]: the "
            + "fixed dimensions alone hold more than 2147483647 elements");
  }

  @Test
  void numbersThatDoNotFitTheirTypeAreRefusedWithTheirPlace() throws IOException {
    writePack(m -> ((ObjectNode) m.get("sampler")).put("steps", 10_000_000_000L));
    assertThat(loadFailure()).contains("pack.json: not a valid manifest at sampler.steps (line");
    writePack(m -> ((ObjectNode) m.get("sampler")).put("steps", 20.5));
    assertThat(loadFailure()).contains("pack.json: not a valid manifest at sampler.steps (line");
    writePack(m -> ((ObjectNode) m.get("sampler")).put("steps", "20"));
    assertThat(loadFailure()).contains("pack.json: not a valid manifest at sampler.steps (line");
    // Jackson reads "NaN" into a double whatever the coercion settings; the range check refuses it.
    writePack(m -> ((ObjectNode) m.get("sampler")).put("guidance", "NaN"));
    assertThat(loadFailure()).contains("pack.json: sampler.guidance = NaN: must be 1..30.0");
    writePack(m -> ((ArrayNode) m.at("/networks/dit/inputs/0/shape")).set(1, 4_294_967_304L));
    assertThat(loadFailure()).contains("pack.json: not a valid manifest at networks.dit.inputs[0].shape");
  }

  @Test
  void missingOrNullPartsAreNamedNeverANullPointer() throws IOException {
    writePack(m -> {
      ((ObjectNode) m.get("dit")).remove("patchSize");
      ((ArrayNode) m.at("/networks/dit/inputs")).setNull(1);
      ((ArrayNode) m.at("/networks/dit/outputs/0/shape")).setNull(0);
      ((ObjectNode) m.at("/textEncoders/0/tokenizer")).putNull("file");
      ((ArrayNode) m.get("decoder").get("caches")).addNull();
      ((ArrayNode) m.get("files")).addObject().put("path", "extra");
    });
    assertThatThrownBy(() -> ModelPack.load(dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("pack.json: dit.patchSize must have three entries [t, h, w]")
        .hasMessageContaining("pack.json: networks.dit.inputs[1] is null")
        .hasMessageContaining("pack.json: networks.dit.outputs[0].shape[0] is null, not a size or a name")
        .hasMessageContaining("pack.json: decoder.caches[1] is null")
        .hasMessageContaining("pack.json: files[6].sha256 = null: must be 64 hex digits");
    writePack(m -> m.remove("sampler"));
    assertThat(loadFailure()).contains("pack.json: 'sampler' is missing");
    writePack(m -> ((ObjectNode) m.at("/textEncoders/0/tokenizer")).putNull("file"));
    assertThat(loadFailure()).contains("pack.json: textEncoders[0].tokenizer.file = null: must name a file");
  }

  @Test
  void malformedJsonIsRefusedWithItsPlace() throws IOException {
    writePack(m -> {});
    String text = Files.readString(dir.resolve(ModelPack.MANIFEST));
    Files.writeString(dir.resolve(ModelPack.MANIFEST), text.substring(0, text.length() / 2));
    assertThat(loadFailure()).contains("pack.json: not a valid manifest", "(line ");
    Files.writeString(dir.resolve(ModelPack.MANIFEST), "{\"formatVersion\": 1, \"formatVersion\": 2}");
    assertThat(loadFailure()).contains("Duplicate field 'formatVersion'");
    Files.writeString(dir.resolve(ModelPack.MANIFEST), "null");
    assertThat(loadFailure()).contains("pack.json: empty");
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

  private String loadFailure() {
    return loadFailure(dir);
  }

  /** Why the pack in {@code dir} is refused, or "loaded". */
  static String loadFailure(Path dir) {
    try {
      ModelPack.load(dir);
      return "loaded";
    } catch (PackException e) {
      return e.getMessage();
    }
  }
}
