package io.flowreel.tiling;

/**
 * Sums weighted tiles into planes of one output region and normalises by the summed weight, so
 * overlapping tiles fade into each other instead of leaving seams.
 */
final class BlendAccumulator {

  private final int planes;
  private final int height;
  private final int width;
  private final float[] sum;
  private final float[] weight;

  BlendAccumulator(int planes, int height, int width) {
    this.planes = planes;
    this.height = height;
    this.width = width;
    this.sum = new float[planes * height * width];
    this.weight = new float[height * width];
  }

  /** Adds a tile laid out as {@code [planes, th, tw]} at (y0, x0) with separable weights. */
  void add(float[] tile, int y0, int x0, float[] wy, float[] wx) {
    int th = wy.length;
    int tw = wx.length;
    for (int y = 0; y < th; y++) {
      for (int x = 0; x < tw; x++) {
        weight[(y0 + y) * width + x0 + x] += wy[y] * wx[x];
      }
    }
    for (int p = 0; p < planes; p++) {
      int in = p * th * tw;
      int out = p * height * width;
      for (int y = 0; y < th; y++) {
        int row = out + (y0 + y) * width + x0;
        int src = in + y * tw;
        float w = wy[y];
        for (int x = 0; x < tw; x++) {
          sum[row + x] += w * wx[x] * tile[src + x];
        }
      }
    }
  }

  float[] result() {
    int plane = height * width;
    for (int p = 0; p < planes; p++) {
      for (int i = 0; i < plane; i++) {
        sum[p * plane + i] /= weight[i];
      }
    }
    return sum;
  }
}
