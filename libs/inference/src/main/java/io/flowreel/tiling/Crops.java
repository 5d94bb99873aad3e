package io.flowreel.tiling;

import io.flowreel.tensor.FloatTensor;
import io.flowreel.tiling.TilePlan.Tile;

/** Copies between the layouts the networks use. */
final class Crops {

  private Crops() {}

  /** {@code latent[0, :, t0:t1, rows, cols]} as {@code [1, C, t1 - t0, rows, cols]}. */
  static FloatTensor latent(FloatTensor latent, int t0, int t1, Tile rows, Tile cols) {
    int c = latent.dim(1);
    int t = latent.dim(2);
    int h = latent.dim(3);
    int w = latent.dim(4);
    int nt = t1 - t0;
    float[] out = new float[c * nt * rows.size() * cols.size()];
    float[] in = latent.data();
    int o = 0;
    for (int ch = 0; ch < c; ch++) {
      for (int ti = t0; ti < t1; ti++) {
        for (int y = rows.start(); y < rows.end(); y++) {
          System.arraycopy(in, ((ch * t + ti) * h + y) * w + cols.start(), out, o, cols.size());
          o += cols.size();
        }
      }
    }
    return new FloatTensor(new int[] {1, c, nt, rows.size(), cols.size()}, out);
  }

  /** Frames {@code skip .. skip + count} of a decoder output {@code [1, 3, F, h, w]}, as {@code [3, count, h, w]}. */
  static float[] frames(FloatTensor decoded, int skip, int count) {
    int total = decoded.dim(2);
    int plane = decoded.dim(3) * decoded.dim(4);
    if (skip + count > total) {
      throw new IllegalStateException("decoder gave " + total + " frames, expected at least " + (skip + count));
    }
    float[] out = new float[3 * count * plane];
    for (int ch = 0; ch < 3; ch++) {
      System.arraycopy(decoded.data(), (ch * total + skip) * plane, out, ch * count * plane, count * plane);
    }
    return out;
  }

  /** {@code [3, n, h, w]} to frame-major {@code [n, 3, h, w]}. */
  static FloatTensor channelsToFrames(float[] data, int n, int h, int w) {
    int plane = h * w;
    float[] out = new float[data.length];
    for (int ch = 0; ch < 3; ch++) {
      for (int i = 0; i < n; i++) {
        System.arraycopy(data, (ch * n + i) * plane, out, (i * 3 + ch) * plane, plane);
      }
    }
    return new FloatTensor(new int[] {n, 3, h, w}, out);
  }

  /** {@code frames[:, :, rows, cols]} of {@code [n, 3, h, w]}. */
  static FloatTensor frames(FloatTensor frames, Tile rows, Tile cols) {
    int planes = frames.dim(0) * frames.dim(1);
    int h = frames.dim(2);
    int w = frames.dim(3);
    float[] out = new float[planes * rows.size() * cols.size()];
    int o = 0;
    for (int p = 0; p < planes; p++) {
      for (int y = rows.start(); y < rows.end(); y++) {
        System.arraycopy(frames.data(), (p * h + y) * w + cols.start(), out, o, cols.size());
        o += cols.size();
      }
    }
    return new FloatTensor(new int[] {frames.dim(0), frames.dim(1), rows.size(), cols.size()}, out);
  }
}
