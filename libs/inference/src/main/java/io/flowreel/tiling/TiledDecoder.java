package io.flowreel.tiling;

import static io.flowreel.pack.NetworkIo.FRAMES;
import static io.flowreel.pack.NetworkIo.LATENT;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.Network;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.CachePair;
import io.flowreel.pack.PackManifest.DecoderSpec;
import io.flowreel.pack.TensorSpec;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tiling.TilePlan.Tile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes latents to frames tile by tile, so memory is bounded by the tile and the temporal
 * chunk, not by the video.
 *
 * <p>Space: overlapping tiles blended in pixel space (see {@link TilePlan#ramp}). Time: a causal
 * decoder is streamed: each spatial tile carries its convolution caches from one temporal chunk to
 * the next, exactly as a whole-video decode would see them, so chunk boundaries cannot show.
 * Decoding chunks independently instead would make the video blink. The first
 * {@code temporalFactor - 1} frames of a video are dropped: latent 0 gives frame 0, latent g >= 1
 * frames 1 + r(g-1) .. rg.
 */
public final class TiledDecoder {

  /** Tile size and overlap in latent pixels; chunk length in latent frames. */
  public record Options(int tile, int overlap, int chunkFrames) {
    public Options {
      if (tile < 1 || overlap < 0 || overlap >= tile || chunkFrames < 1) {
        throw new IllegalArgumentException("decoder tiling needs tile > overlap >= 0 and chunk >= 1, got tile "
            + tile + ", overlap " + overlap + ", chunk " + chunkFrames);
      }
    }

    public static Options defaults(DecoderSpec spec) {
      return withTile(24, spec);
    }

    /** A third of the tile as overlap, never less than the decoder's receptive field; chunks of 4. */
    public static Options withTile(int tile, DecoderSpec spec) {
      return new Options(tile, Math.min(tile - 1, Math.max(tile / 3, spec.spatialContext())), 4);
    }

    /** One tile and one chunk covering the whole video: the reference for tests and benchmarks. */
    public static Options untiled() {
      return new Options(Integer.MAX_VALUE / 2, 0, Integer.MAX_VALUE / 2);
    }
  }

  /** A convolution cache: its input and output names, channels and time steps. */
  public record Cache(String input, String output, int channels, int frames) {}

  private final Network decoder;
  private final DecoderSpec spec;
  private final List<Cache> caches;
  private final Options options;

  public TiledDecoder(Network decoder, DecoderSpec spec, List<Cache> caches, Options options) {
    this.decoder = decoder;
    this.spec = spec;
    this.caches = List.copyOf(caches);
    this.options = options;
  }

  public static TiledDecoder forPack(ModelPack pack, InferenceEngine engine, Options options) {
    DecoderSpec spec = pack.manifest().decoder();
    List<TensorSpec> inputs = pack.network(spec.network()).inputs();
    List<Cache> caches = new ArrayList<>();
    for (CachePair pair : spec.caches()) {
      TensorSpec t = inputs.stream().filter(i -> i.name().equals(pair.input())).findFirst().orElseThrow();
      caches.add(new Cache(pair.input(), pair.output(), (int) t.fixedSize(1), (int) t.fixedSize(2)));
    }
    return new TiledDecoder(engine.network(spec.network()), spec, caches, options);
  }

  /** Decodes {@code latent} ({@code [1, C, T, H, W]}) and hands the frames to {@code sink} in order. */
  public void decode(FloatTensor latent, FrameChunkSink sink) {
    int t = latent.dim(2);
    int h = latent.dim(3);
    int w = latent.dim(4);
    int r = spec.temporalFactor();
    int f = spec.spatialFactor();
    // Without caches a decoder cannot be streamed in time: decode the whole length at once.
    int chunk = spec.causal() ? options.chunkFrames() : t;
    List<Tile> rows = TilePlan.along(h, options.tile(), options.overlap());
    List<Tile> cols = TilePlan.along(w, options.tile(), options.overlap());
    Map<Tile, Map<Tile, Map<String, FloatTensor>>> carried = new HashMap<>();
    for (int a = 0; a < t; a += chunk) {
      int b = Math.min(t, a + chunk);
      int skip = spec.causal() && a == 0 ? r - 1 : 0;
      int frames = r * (b - a) - skip;
      BlendAccumulator out = new BlendAccumulator(3 * frames, h * f, w * f);
      for (Tile row : rows) {
        float[] wy = TilePlan.ramp(row, h, options.overlap(), spec.spatialContext(), f);
        for (Tile col : cols) {
          Map<String, FloatTensor> state = carried.computeIfAbsent(row, k -> new HashMap<>())
              .computeIfAbsent(col, k -> zeroCaches(row, col));
          Map<String, FloatTensor> inputs = new HashMap<>(state);
          inputs.put(LATENT, Crops.latent(latent, a, b, row, col));
          Map<String, FloatTensor> decoded = decoder.run(inputs);
          for (Cache cache : caches) {
            state.put(cache.input(), decoded.get(cache.output()));
          }
          float[] kept = Crops.frames(decoded.get(FRAMES), skip, frames);
          out.add(kept, row.start() * f, col.start() * f, wy,
              TilePlan.ramp(col, w, options.overlap(), spec.spatialContext(), f));
        }
      }
      sink.accept(a == 0 ? 0 : 1 + r * (a - 1), Crops.channelsToFrames(out.result(), frames, h * f, w * f));
    }
  }

  private Map<String, FloatTensor> zeroCaches(Tile row, Tile col) {
    Map<String, FloatTensor> zeros = new HashMap<>();
    for (Cache cache : caches) {
      zeros.put(cache.input(), FloatTensor.zeros(1, cache.channels(), cache.frames(), row.size(), col.size()));
    }
    return zeros;
  }
}
