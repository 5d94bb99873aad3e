package io.flowreel.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowreel.pack.RenderPlan;
import io.flowreel.contract.RenderSettings;
import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.Network;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.ShapeBucket;
import io.flowreel.pack.ShapeBuckets;
import io.flowreel.render.LocalRenderer;
import io.flowreel.sampling.NoiseGenerator;
import io.flowreel.prompts.RuleBasedPromptRewriter;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Tensor;
import io.flowreel.tiling.TiledDecoder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Profiles of the tiny pack, checked against the shapes real renders hand to each network. */
class OptimizationProfilesTest {

  private static final ModelPack PACK = TinyPack.get();
  private static final ShapeBuckets DEFAULT = ShapeBuckets.packDefault(PACK);
  private static final TiledDecoder.Options DECODING = TiledDecoder.Options.defaults(PACK.manifest().decoder());

  @TempDir Path out;

  @Test
  void theDitTakesTheBucketsLatentWithABatchOfOneOrTwo() {
    Profile dit = single(new OptimizationProfiles(PACK, DECODING).forNetwork("dit", DEFAULT));
    assertThat(dit.label()).isEqualTo("256x256x17");
    assertThat(range(dit, "latent")).isEqualTo(new Profile.Range("latent", List.of(1, 8, 5, 16, 16),
        List.of(2, 8, 5, 16, 16), List.of(2, 8, 5, 16, 16)));
    assertThat(range(dit, "timestep").min()).containsExactly(1);
    assertThat(range(dit, "timestep").max()).containsExactly(2);
    assertThat(range(dit, "clip_tokens").max()).containsExactly(2, 32, 64);
    assertThat(range(dit, "clip_pooled").min()).containsExactly(1, 64);
  }

  @Test
  void theDecoderTakesTilesOfTemporalChunksWithTheirCaches() {
    // 256x256x17: latent 5 x 16 x 16; tiles of 24 hold it whole, chunks of 4 latent frames leave one.
    Profile decoder = single(new OptimizationProfiles(PACK, DECODING).forNetwork("decoder", DEFAULT));
    assertThat(range(decoder, "latent")).isEqualTo(new Profile.Range("latent", List.of(1, 8, 1, 16, 16),
        List.of(1, 8, 4, 16, 16), List.of(1, 8, 4, 16, 16)));
    assertThat(range(decoder, "cache_1").max()).containsExactly(1, 64, 2, 16, 16);

    ShapeBuckets large = ShapeBuckets.of(List.of(ShapeBucket.parse("512x384x33")), PACK);
    Profile tiled = single(new OptimizationProfiles(PACK, DECODING).forNetwork("decoder", large));
    assertThat(range(tiled, "latent").max()).containsExactly(1, 8, 4, 24, 24);
    assertThat(range(tiled, "cache_0").min()).containsExactly(1, 8, 2, 24, 24);
  }

  @Test
  void textEncodersHaveOneProfileWhateverTheBuckets() {
    ShapeBuckets two = ShapeBuckets.of(ShapeBuckets.parseList("256x256x17,128x128x9"), PACK);
    Profile clip = single(new OptimizationProfiles(PACK, DECODING).forNetwork("text_clip", two));
    assertThat(clip.label()).isEqualTo(Profile.ANY);
    assertThat(range(clip, "input_ids").max()).containsExactly(1, 32);
    assertThat(new OptimizationProfiles(PACK, DECODING).forNetwork("dit", two)).extracting(Profile::label)
        .containsExactly("256x256x17", "128x128x9");
  }

  @Test
  void aShapeOutsideTheBucketIsNotCovered() {
    Profile dit = single(new OptimizationProfiles(PACK, DECODING).forNetwork("dit", DEFAULT));
    Map<String, int[]> shapes = new HashMap<>();
    dit.inputs().forEach(r -> shapes.put(r.name(), r.opt().stream().mapToInt(Integer::intValue).toArray()));
    assertThat(dit.covers(shapes)).isTrue();
    shapes.put("latent", new int[] {2, 8, 6, 16, 16}); // 21 frames
    assertThat(dit.covers(shapes)).isFalse();
    shapes.put("latent", new int[] {3, 8, 5, 16, 16});
    assertThat(dit.covers(shapes)).isFalse();
    shapes.remove("latent");
    assertThat(dit.covers(shapes)).isFalse();
  }

  @Test
  void theProfileIdChangesWithTheTilingSoAnotherTilingNeverLoadsTheEngine() {
    TiledDecoder.Options small = TiledDecoder.Options.withTile(8, PACK.manifest().decoder());
    String decoder24 = single(new OptimizationProfiles(PACK, DECODING).forNetwork("decoder", DEFAULT)).id();
    String decoder8 = single(new OptimizationProfiles(PACK, small).forNetwork("decoder", DEFAULT)).id();
    assertThat(decoder24).startsWith("256x256x17-p").hasSize("256x256x17-p".length() + 8).isNotEqualTo(decoder8);
    assertThat(single(new OptimizationProfiles(PACK, small).forNetwork("dit", DEFAULT)).id())
        .isEqualTo(single(new OptimizationProfiles(PACK, DECODING).forNetwork("dit", DEFAULT)).id());
  }

  @Test
  void aNetworkThePackDoesNotUseIsRefused() {
    assertThatThrownBy(() -> new OptimizationProfiles(PACK, DECODING).forNetwork("vae", DEFAULT))
        .hasMessage("pack tiny does not use a network 'vae'");
  }

  /**
   * Renders with guidance, without guidance and as a half-size preview, with small decoder tiles
   * and chunks so that tiles overlap and chunks are uneven: every call each network receives
   * must lie inside one of its profiles, or TensorRT would refuse it mid-job.
   */
  @Test
  void everyCallOfRealRendersInTheBucketIsInsideTheProfiles() throws Exception {
    TiledDecoder.Options decoding = new TiledDecoder.Options(8, 5, 2);
    Recording engine = new Recording(OnnxRuntimeEngine.forPack(PACK));
    LocalRenderer renderer = new LocalRenderer(PACK, engine, new RuleBasedPromptRewriter(), decoding);
    renderer.render(job("guided", 256, 256, 5.0, true), out, LocalRenderer.Progress.NONE, () -> false);
    renderer.render(job("unguided", 256, 256, 1.0, true), out, LocalRenderer.Progress.NONE, () -> false);
    renderer.render(job("preview", 128, 128, 5.0, false), out, LocalRenderer.Progress.NONE, () -> false);

    OptimizationProfiles profiles = new OptimizationProfiles(PACK, decoding);
    assertThat(engine.calls.keySet()).containsExactlyInAnyOrder("text_clip", "text_byt5", "text_ul2", "dit",
        "decoder", "upsampler");
    engine.calls.forEach((network, calls) -> {
      List<Profile> built = profiles.forNetwork(network, DEFAULT);
      for (Map<String, int[]> call : calls) {
        assertThat(built.stream().anyMatch(p -> p.covers(call)))
            .as("%s call %s inside %s", network, describe(call), built).isTrue();
      }
    });
    assertThat(engine.calls.get("dit")).extracting(c -> c.get("latent")[0]).contains(1, 2);
    assertThat(engine.calls.get("decoder")).extracting(c -> c.get("latent")[2]).contains(1, 2);
  }

  /**
   * Wan2.1's decoder: latent 0 through its first network, the rest in chunks, never tiled, with
   * caches at up to 8 times the latent's size under their own dimension names.
   */
  @Test
  void aWholeFrameDecoderWithAFirstNetworkAndScaledCachesIsCovered() {
    ModelPack wan = ModelPack.load(Path.of(System.getProperty("flowreel.repo", "../..")).resolve("models/wan-reduced"));
    ShapeBuckets buckets = ShapeBuckets.packDefault(wan); // 128x96x17: latent 5 x 12 x 16
    TiledDecoder.Options tiled = new TiledDecoder.Options(8, 5, 2); // tiles ignored: a whole-frame decoder
    OptimizationProfiles profiles = new OptimizationProfiles(wan, tiled);

    Profile decoder = single(profiles.forNetwork("decoder", buckets));
    assertThat(range(decoder, "latent").min()).containsExactly(1, 16, 2, 12, 16);
    assertThat(range(decoder, "cache_12").max()).containsExactly(1, 16, 2, 24, 32);
    assertThat(range(decoder, "cache_31").max()).containsExactly(1, 8, 2, 96, 128);
    Profile first = single(profiles.forNetwork("decoder_first", buckets));
    assertThat(range(first, "latent")).isEqualTo(new Profile.Range("latent", List.of(1, 16, 1, 12, 16),
        List.of(1, 16, 1, 12, 16), List.of(1, 16, 1, 12, 16)));
    assertThatThrownBy(() -> profiles.forNetwork("upsampler", buckets))
        .hasMessage("pack wan2.1-t2v-reduced does not use a network 'upsampler'");

    Recording engine = new Recording(OnnxRuntimeEngine.forPack(wan));
    TiledDecoder.forPack(wan, engine, tiled).decode(NoiseGenerator.gaussian(7, 0, 1, 16, 5, 12, 16), (f, frames) -> { });
    assertThat(engine.calls.keySet()).containsExactlyInAnyOrder("decoder_first", "decoder");
    engine.calls.forEach((network, calls) -> {
      List<Profile> built = profiles.forNetwork(network, buckets);
      for (Map<String, int[]> call : calls) {
        assertThat(built.stream().anyMatch(p -> p.covers(call)))
            .as("%s call %s inside %s", network, describe(call), built).isTrue();
      }
    });
  }

  private static RenderPlan job(String id, int width, int height, double guidance, boolean upsample) {
    return RenderPlan.of(id, new RenderSettings("a red ball bouncing on a blue floor", null, 7, width, height, 17, 8, 2, guidance, null, null, 0, false, upsample), PACK);
  }

  private static Profile single(List<Profile> profiles) {
    assertThat(profiles).hasSize(1);
    return profiles.get(0);
  }

  private static Profile.Range range(Profile profile, String input) {
    return profile.inputs().stream().filter(r -> r.name().equals(input)).findFirst().orElseThrow();
  }

  private static String describe(Map<String, int[]> call) {
    Map<String, String> text = new HashMap<>();
    call.forEach((name, shape) -> text.put(name, Tensor.describe(shape)));
    return text.toString();
  }

  /** ONNX Runtime, noting the input shapes of every call. */
  private static final class Recording implements InferenceEngine {
    private final InferenceEngine inner;
    final Map<String, List<Map<String, int[]>>> calls = new ConcurrentHashMap<>();

    Recording(InferenceEngine inner) {
      this.inner = inner;
    }

    @Override
    public String kind() {
      return inner.kind();
    }

    @Override
    public Network network(String name) {
      Network network = inner.network(name);
      return new Network() {
        @Override
        public String name() {
          return name;
        }

        @Override
        public Map<String, FloatTensor> run(Map<String, ? extends Tensor> inputs) {
          Map<String, int[]> shapes = new HashMap<>();
          inputs.forEach((input, tensor) -> shapes.put(input, tensor.shape()));
          calls.computeIfAbsent(name, k -> new CopyOnWriteArrayList<>()).add(shapes);
          return network.run(inputs);
        }
      };
    }
  }
}
