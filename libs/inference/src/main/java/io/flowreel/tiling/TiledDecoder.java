package io.flowreel.tiling;

import static io.flowreel.pack.NetworkIo.FRAMES;
import static io.flowreel.pack.NetworkIo.LATENT;

import io.flowreel.engine.Network;
import io.flowreel.pack.PackManifest.DecoderSpec;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tiling.TilePlan.Tile;
import java.util.List;
import java.util.Map;

/**
 * Decodes latents to frames tile by tile, so memory is bounded by the tile and the temporal
 * chunk, not by the video.
 *
 * <p>Space: overlapping tiles blended with linear ramps in pixel space. Time: the decoder is
 * causal, so independent temporal chunks would blink; each chunk is decoded with the
 * {@code temporalContext} latent frames before it as history and only its own frames are kept,
 * which reproduces a whole-video decode exactly (the history recomputes the convolution cache
 * instead of carrying it). Latent 0 gives frame 0, latent g >= 1 gives frames 1 + r(g-1) .. rg.
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

    /** A third of the tile as overlap, never less than the decoder's receptive field. */
    public static Options defaults(DecoderSpec spec) {
      int tile = 24;
      return new Options(tile, Math.min(tile - 1, Math.max(tile / 3, spec.spatialContext())), 4);
    }

    /** One tile and one chunk covering the whole video: the reference for tests and benchmarks. */
    public static Options untiled() {
      return new Options(Integer.MAX_VALUE / 2, 0, Integer.MAX_VALUE / 2);
    }
  }

  private final Network decoder;
  private final DecoderSpec spec;
  private final Options options;

  public TiledDecoder(Network decoder, DecoderSpec spec, Options options) {
    this.decoder = decoder;
    this.spec = spec;
    this.options = options;
  }

  /** Decodes {@code latent} ({@code [1, C, T, H, W]}) and hands the frames to {@code sink} in order. */
  public void decode(FloatTensor latent, FrameChunkSink sink) {
    int t = latent.dim(2);
    int h = latent.dim(3);
    int w = latent.dim(4);
    int r = spec.temporalFactor();
    int f = spec.spatialFactor();
    int history = Math.max(1, spec.temporalContext());
    int margin = spec.spatialContext();
    List<Tile> rows = TilePlan.along(h, options.tile(), options.overlap());
    List<Tile> cols = TilePlan.along(w, options.tile(), options.overlap());
    for (int a = 0; a < t; a += options.chunkFrames()) {
      int b = Math.min(t, a + options.chunkFrames());
      int from = Math.max(0, a - history);
      // Frames of the history latents are dropped; without history the first latent gives 1 frame.
      int skip = a == 0 ? 0 : 1 + r * (a - from - 1);
      int frames = a == 0 ? 1 + r * (b - 1) : r * (b - a);
      BlendAccumulator out = new BlendAccumulator(3 * frames, h * f, w * f);
      for (Tile row : rows) {
        float[] wy = TilePlan.ramp(row, h, options.overlap(), margin, f);
        for (Tile col : cols) {
          FloatTensor crop = Crops.latent(latent, from, b, row, col);
          FloatTensor decoded = decoder.run(Map.of(LATENT, crop)).get(FRAMES);
          float[] kept = Crops.frames(decoded, skip, frames);
          out.add(kept, row.start() * f, col.start() * f, wy, TilePlan.ramp(col, w, options.overlap(), margin, f));
        }
      }
      sink.accept(a == 0 ? 0 : 1 + r * (a - 1), Crops.channelsToFrames(out.result(), frames, h * f, w * f));
    }
  }
}
