package io.flowreel.tiling;

import static io.flowreel.pack.NetworkIo.FRAMES;
import static io.flowreel.pack.NetworkIo.UPSAMPLED;

import io.flowreel.engine.Network;
import io.flowreel.pack.PackManifest.UpsamplerSpec;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tiling.TilePlan.Tile;
import java.util.List;
import java.util.Map;

/** Spatial upsampling frame chunk by frame chunk, in overlapping tiles blended like the decoder's. */
public final class TiledUpsampler {

  /** Tile size and overlap in input pixels. */
  public record Options(int tile, int overlap) {
    public Options {
      if (tile < 1 || overlap < 0 || overlap >= tile) {
        throw new IllegalArgumentException("upsampler tiling needs tile > overlap >= 0, got tile " + tile
            + ", overlap " + overlap);
      }
    }

    public static Options defaults(UpsamplerSpec spec) {
      int tile = 128;
      return new Options(tile, Math.min(tile - 1, Math.max(tile / 4, 2 * spec.spatialContext() + 1)));
    }

    public static Options untiled() {
      return new Options(Integer.MAX_VALUE / 2, 0);
    }
  }

  private final Network upsampler;
  private final int factor;
  private final int margin;
  private final Options options;

  public TiledUpsampler(Network upsampler, UpsamplerSpec spec, Options options) {
    this.upsampler = upsampler;
    this.factor = spec.factor();
    this.margin = spec.spatialContext();
    this.options = options;
  }

  /** {@code [n, 3, h, w]} to {@code [n, 3, factor h, factor w]}. */
  public FloatTensor upsample(FloatTensor frames) {
    int n = frames.dim(0);
    int h = frames.dim(2);
    int w = frames.dim(3);
    List<Tile> rows = TilePlan.along(h, options.tile(), options.overlap());
    List<Tile> cols = TilePlan.along(w, options.tile(), options.overlap());
    BlendAccumulator out = new BlendAccumulator(n * 3, h * factor, w * factor);
    for (Tile row : rows) {
      float[] wy = TilePlan.ramp(row, h, options.overlap(), margin, factor);
      for (Tile col : cols) {
        FloatTensor tile = upsampler.run(Map.of(FRAMES, Crops.frames(frames, row, col))).get(UPSAMPLED);
        out.add(tile.data(), row.start() * factor, col.start() * factor, wy,
            TilePlan.ramp(col, w, options.overlap(), margin, factor));
      }
    }
    return new FloatTensor(new int[] {n, 3, h * factor, w * factor}, out.result());
  }

  /** A sink that upsamples every chunk before passing it on. */
  public FrameChunkSink into(FrameChunkSink downstream) {
    return (first, frames) -> downstream.accept(first, upsample(frames));
  }
}
