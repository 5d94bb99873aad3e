package io.flowreel.tiling;

import java.util.ArrayList;
import java.util.List;

/** Overlapping tiles along one axis; the last tile is clamped to the end, never past it. */
public final class TilePlan {

  public record Tile(int start, int size) {
    public int end() {
      return start + size;
    }
  }

  private TilePlan() {}

  public static List<Tile> along(int length, int tile, int overlap) {
    if (tile <= overlap) {
      throw new IllegalArgumentException("tile " + tile + " must be larger than its overlap " + overlap);
    }
    if (length <= tile) {
      return List.of(new Tile(0, length));
    }
    List<Tile> tiles = new ArrayList<>();
    int stride = tile - overlap;
    for (int start = 0; ; start += stride) {
      if (start + tile >= length) {
        tiles.add(new Tile(length - tile, tile));
        return tiles;
      }
      tiles.add(new Tile(start, tile));
    }
  }

  /**
   * Blend weight of each position of {@code tile} (scaled by {@code scale} into output pixels):
   * a linear ramp across the overlap on every side that has a neighbour, 1 elsewhere.
   */
  static float[] ramp(Tile tile, int length, int overlap, int scale) {
    int size = tile.size() * scale;
    int ramp = overlap * scale;
    float[] w = new float[size];
    for (int i = 0; i < size; i++) {
      float left = tile.start() > 0 && ramp > 0 ? Math.min(1f, (i + 0.5f) / ramp) : 1f;
      float right = tile.end() < length && ramp > 0 ? Math.min(1f, (size - i - 0.5f) / ramp) : 1f;
      w[i] = Math.min(left, right);
    }
    return w;
  }
}
