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
   * Blend weight of each position of {@code tile}, scaled by {@code scale} into output pixels. On
   * each side that has a neighbour, the outermost {@code margin} positions, whose output the
   * network's zero padding distorts, get no weight, and a linear ramp spans the rest of the
   * overlap; the neighbour's ramp mirrors it, so the weights sum to one. At most
   * {@code (overlap - 1) / 2} positions are given up, leaving a ramp at least one position wide.
   */
  static float[] ramp(Tile tile, int length, int overlap, int margin, int scale) {
    int size = tile.size() * scale;
    int dead = Math.min(margin, (overlap - 1) / 2) * scale;
    int ramp = overlap * scale - 2 * dead;
    float[] w = new float[size];
    for (int i = 0; i < size; i++) {
      float left = tile.start() > 0 ? edge(i + 0.5f - dead, ramp) : 1f;
      float right = tile.end() < length ? edge(size - i - 0.5f - dead, ramp) : 1f;
      w[i] = Math.min(left, right);
    }
    return w;
  }

  private static float edge(float distance, int ramp) {
    return Math.max(0f, Math.min(1f, distance / ramp));
  }
}
