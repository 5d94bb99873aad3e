package io.flowreel.tiling;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest;
import io.flowreel.sampling.NoiseGenerator;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.testing.TinyPack;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tiling and temporal streaming of the tiny pack's real decoder and upsampler. */
class TiledNetworksTest {

  private final ModelPack pack = TinyPack.get();
  private final PackManifest m = pack.manifest();
  private final OnnxRuntimeEngine engine = OnnxRuntimeEngine.forPack(pack);
  private final FloatTensor latent = NoiseGenerator.gaussian(2024, 0, 1, 8, 4, 20, 24);

  @Test
  void tiledDecodeMatchesTheWholeDecodeAbove40dB() {
    FloatTensor whole = decode(TiledDecoder.Options.untiled());
    for (int[] plan : new int[][] {{12, 8}, {16, 11}}) {
      FloatTensor tiled = decode(new TiledDecoder.Options(plan[0], plan[1], 2));
      double psnr = psnr(tiled, whole);
      System.out.printf("decoder: tiles of %d latent px, overlap %d: PSNR %.1f dB vs untiled%n", plan[0], plan[1], psnr);
      assertThat(psnr).isGreaterThanOrEqualTo(40.0);
    }
  }

  @Test
  void temporalChunkPlanDoesNotChangeTheFrames() {
    FloatTensor whole = decode(TiledDecoder.Options.untiled());
    assertThat(whole.dim(0)).isEqualTo(13);
    for (int chunk : new int[] {1, 2, 3}) {
      FloatTensor streamed = decode(new TiledDecoder.Options(Integer.MAX_VALUE / 2, 0, chunk));
      assertThat(streamed.maxAbsDifference(whole)).as("chunks of %d latent frames", chunk).isLessThan(1e-4f);
    }
  }

  @Test
  void tiledUpsamplingMatchesTheWholeFrameAbove40dB() {
    FloatTensor frames = decode(TiledDecoder.Options.untiled());
    FloatTensor whole = new TiledUpsampler(engine.network("upsampler"), m.upsampler(),
        TiledUpsampler.Options.untiled()).upsample(frames);
    FloatTensor tiled = new TiledUpsampler(engine.network("upsampler"), m.upsampler(),
        new TiledUpsampler.Options(64, 16)).upsample(frames);
    assertThat(tiled.shape()).containsExactly(13, 3, 320, 384);
    double psnr = psnr(tiled, whole);
    System.out.printf("upsampler: tiles 64 px, overlap 16: PSNR %.1f dB vs untiled%n", psnr);
    assertThat(psnr).isGreaterThanOrEqualTo(40.0);
  }

  private FloatTensor decode(TiledDecoder.Options options) {
    List<FloatTensor> chunks = new ArrayList<>();
    TiledDecoder.forPack(pack, engine, options).decode(latent, (first, f) -> chunks.add(f));
    return FloatTensor.concat(chunks.toArray(FloatTensor[]::new));
  }

  /** PSNR over values clamped to [-1, 1], the range that reaches the video. */
  static double psnr(FloatTensor a, FloatTensor b) {
    double mse = 0;
    for (int i = 0; i < a.data().length; i++) {
      double d = clamp(a.data()[i]) - clamp(b.data()[i]);
      mse += d * d;
    }
    mse /= a.data().length;
    return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(4 / mse);
  }

  private static double clamp(float v) {
    return Math.max(-1, Math.min(1, v));
  }
}
