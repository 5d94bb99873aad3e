package io.flowreel.tiling;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.engine.Network;
import io.flowreel.pack.PackManifest.CachePair;
import io.flowreel.pack.PackManifest.DecoderSpec;
import io.flowreel.sampling.NoiseGenerator;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Frame bookkeeping of tiled, chunked decoding against a causal decoder written in Java. */
class TiledDecoderTest {

  private static final DecoderSpec SPEC =
      new DecoderSpec("fake", true, 4, 2, 0, List.of(new CachePair("cache_0", "next_cache_0")));
  private static final List<TiledDecoder.Cache> CACHES = List.of(new TiledDecoder.Cache("cache_0", "next_cache_0", 4, 1));

  /**
   * Causal with one latent frame of history, carried in its cache: frame k of latent g reads
   * latent g and g - 1, scaled by k, and each latent pixel becomes a 2x2 block. It returns 4 frames
   * per latent, as a streaming decoder does.
   */
  private static final Network CAUSAL = new Network() {
    @Override
    public String name() {
      return "fake";
    }

    @Override
    public Map<String, FloatTensor> run(Map<String, ? extends Tensor> inputs) {
      FloatTensor z = (FloatTensor) inputs.get("latent");
      FloatTensor cache = (FloatTensor) inputs.get("cache_0");
      int c = z.dim(1);
      int t = z.dim(2);
      int h = z.dim(3);
      int w = z.dim(4);
      int frames = 4 * t;
      float[] out = new float[3 * frames * 4 * h * w];
      for (int ch = 0; ch < 3; ch++) {
        for (int f = 0; f < frames; f++) {
          int g = f / 4;
          int k = f % 4;
          for (int y = 0; y < 2 * h; y++) {
            for (int x = 0; x < 2 * w; x++) {
              int pixel = (y / 2) * w + x / 2;
              float now = z.data()[(ch % c * t + g) * h * w + pixel];
              float before = g == 0 ? cache.data()[(ch % c) * h * w + pixel] : z.data()[(ch % c * t + g - 1) * h * w + pixel];
              out[((ch * frames + f) * 2 * h + y) * 2 * w + x] = now + (k + 1) * 0.25f * before;
            }
          }
        }
      }
      float[] next = new float[c * h * w];
      for (int ch = 0; ch < c; ch++) {
        System.arraycopy(z.data(), (ch * t + t - 1) * h * w, next, ch * h * w, h * w);
      }
      return Map.of("frames", new FloatTensor(new int[] {1, 3, frames, 2 * h, 2 * w}, out),
          "next_cache_0", new FloatTensor(new int[] {1, c, 1, h, w}, next));
    }
  };

  @Test
  void chunkPlanAndTilesDoNotChangeTheFrames() {
    FloatTensor latent = NoiseGenerator.gaussian(1, 0, 1, 4, 7, 10, 13);
    FloatTensor whole = decode(latent, TiledDecoder.Options.untiled());
    assertThat(whole.dim(0)).isEqualTo(25);
    for (int chunk : new int[] {1, 2, 3, 7}) {
      FloatTensor tiled = decode(latent, new TiledDecoder.Options(4, 1, chunk));
      assertThat(tiled.maxAbsDifference(whole)).as("chunk %d", chunk).isLessThan(1e-6f);
    }
  }

  private static FloatTensor decode(FloatTensor latent, TiledDecoder.Options options) {
    List<FloatTensor> chunks = new ArrayList<>();
    int[] next = {0};
    new TiledDecoder(CAUSAL, SPEC, CACHES, options).decode(latent, (first, frames) -> {
      assertThat(first).isEqualTo(next[0]);
      next[0] += frames.dim(0);
      chunks.add(frames);
    });
    return FloatTensor.concat(chunks.toArray(FloatTensor[]::new));
  }
}
