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
 * <p>Space: overlapping tiles blended in pixel space (see {@link TilePlan#ramp}); a
 * {@link DecoderSpec#wholeFrame() whole-frame} decoder is never tiled, whatever the options say.
 * Time: a causal decoder is streamed: each spatial tile carries its convolution caches from one
 * temporal chunk to the next, exactly as a whole-video decode would see them, so chunk boundaries
 * cannot show. Decoding chunks independently instead would make the video blink. Latent 0 gives
 * frame 0 and latent g >= 1 frames 1 + r(g-1) .. rg: with a {@link DecoderSpec#firstNetwork() first
 * network} latent 0 is decoded alone by it (one frame, and the caches to carry on), otherwise the
 * first {@code temporalFactor - 1} frames of a video are dropped.
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
      return new Options(tile, Math.min(tile - 1, Math.max(tile / 3, spec.spatialContext())), 4).appliedTo(spec);
    }

    /** One tile and one chunk covering the whole video: the reference for tests and benchmarks. */
    public static Options untiled() {
      return new Options(Integer.MAX_VALUE / 2, 0, Integer.MAX_VALUE / 2);
    }

    /**
     * The options {@link TiledDecoder} really uses with {@code spec}: a whole-frame decoder attends
     * over the frame, so tiles would change its output; it gets one tile and keeps the chunks.
     */
    public Options appliedTo(DecoderSpec spec) {
      return spec.wholeFrame() ? new Options(Integer.MAX_VALUE / 2, 0, chunkFrames) : this;
    }
  }

  /**
   * A convolution cache: its input and output names, channels and time steps; its height and width
   * are {@code scale} times the latent tile's.
   */
  public record Cache(String input, String output, int channels, int frames, int scale) {
    public Cache(String input, String output, int channels, int frames) {
      this(input, output, channels, frames, 1);
    }
  }

  /** Latents {@code start .. end - 1} decoded in one call per tile; {@code first}: by the first network. */
  public record Chunk(int start, int end, boolean first) {
    public int latents() {
      return end - start;
    }

    /** Frames the network returns ahead of the video's: the causal padding's, at the start of a video. */
    int dropped(DecoderSpec spec) {
      return spec.causal() && start == 0 && !first ? spec.temporalFactor() - 1 : 0;
    }

    /** Frames of the video this chunk gives: 1 + r(t - 1) over a whole video, whichever the network. */
    public int frames(DecoderSpec spec) {
      return first ? 1 : spec.temporalFactor() * latents() - dropped(spec);
    }
  }

  private final Network first;
  private final Network decoder;
  private final DecoderSpec spec;
  private final List<Cache> caches;
  private final Options options;

  public TiledDecoder(Network decoder, DecoderSpec spec, List<Cache> caches, Options options) {
    this(null, decoder, spec, caches, options);
  }

  /** {@code first}: the network of {@link DecoderSpec#firstNetwork()}, null when the spec has none. */
  public TiledDecoder(Network first, Network decoder, DecoderSpec spec, List<Cache> caches, Options options) {
    if ((first == null) != (spec.firstNetwork() == null)) {
      throw new IllegalArgumentException("decoder " + spec.network() + ": first network "
          + (first == null ? "missing" : "given but the spec names none"));
    }
    this.first = first;
    this.decoder = decoder;
    this.spec = spec;
    this.caches = List.copyOf(caches);
    this.options = options.appliedTo(spec);
  }

  public static TiledDecoder forPack(ModelPack pack, InferenceEngine engine, Options options) {
    DecoderSpec spec = pack.manifest().decoder();
    List<TensorSpec> inputs = pack.network(spec.network()).inputs();
    List<Cache> caches = new ArrayList<>();
    for (CachePair pair : spec.caches()) {
      TensorSpec t = inputs.stream().filter(i -> i.name().equals(pair.input())).findFirst().orElseThrow();
      caches.add(new Cache(pair.input(), pair.output(), (int) t.fixedSize(1), (int) t.fixedSize(2), pair.scale()));
    }
    Network first = spec.firstNetwork() == null ? null : engine.network(spec.firstNetwork());
    return new TiledDecoder(first, engine.network(spec.network()), spec, caches, options);
  }

  /**
   * The calls a video of {@code latentFrames} latents is decoded in: latent 0 alone when the spec
   * has a first network, then chunks of {@code chunkFrames}; a decoder without caches takes the
   * whole length at once, as it cannot be streamed in time.
   */
  public static List<Chunk> chunks(DecoderSpec spec, int chunkFrames, int latentFrames) {
    int chunk = spec.causal() ? chunkFrames : latentFrames;
    List<Chunk> chunks = new ArrayList<>();
    int a = 0;
    if (spec.firstNetwork() != null && latentFrames > 0) {
      chunks.add(new Chunk(0, 1, true));
      a = 1;
    }
    for (; a < latentFrames; a += chunk) {
      chunks.add(new Chunk(a, Math.min(latentFrames, a + chunk), false));
    }
    return chunks;
  }

  /** Decodes {@code latent} ({@code [1, C, T, H, W]}) and hands the frames to {@code sink} in order. */
  public void decode(FloatTensor latent, FrameChunkSink sink) {
    int t = latent.dim(2);
    int h = latent.dim(3);
    int w = latent.dim(4);
    int r = spec.temporalFactor();
    int f = spec.spatialFactor();
    List<Tile> rows = TilePlan.along(h, options.tile(), options.overlap());
    List<Tile> cols = TilePlan.along(w, options.tile(), options.overlap());
    Map<Tile, Map<Tile, Map<String, FloatTensor>>> carried = new HashMap<>();
    for (Chunk chunk : chunks(spec, options.chunkFrames(), t)) {
      int a = chunk.start();
      int frames = chunk.frames(spec);
      BlendAccumulator out = new BlendAccumulator(3 * frames, h * f, w * f);
      for (Tile row : rows) {
        float[] wy = TilePlan.ramp(row, h, options.overlap(), spec.spatialContext(), f);
        for (Tile col : cols) {
          // The first network makes the caches itself: zeros (at full scale) would only cost memory.
          Map<String, FloatTensor> state = carried.computeIfAbsent(row, k -> new HashMap<>())
              .computeIfAbsent(col, k -> chunk.first() ? new HashMap<>() : zeroCaches(row, col));
          Map<String, FloatTensor> inputs = new HashMap<>(state);
          inputs.put(LATENT, Crops.latent(latent, a, chunk.end(), row, col));
          Map<String, FloatTensor> decoded = (chunk.first() ? first : decoder).run(inputs);
          for (Cache cache : caches) {
            state.put(cache.input(), decoded.get(cache.output()));
          }
          float[] kept = Crops.frames(decoded.get(FRAMES), chunk.dropped(spec), frames);
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
      zeros.put(cache.input(), FloatTensor.zeros(1, cache.channels(), cache.frames(),
          row.size() * cache.scale(), col.size() * cache.scale()));
    }
    return zeros;
  }
}
