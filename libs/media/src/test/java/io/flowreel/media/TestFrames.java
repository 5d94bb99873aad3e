package io.flowreel.media;

import java.util.ArrayList;
import java.util.List;

/** Synthetic frames: smooth gradients (the red one drifting) and a white square moving down-right. */
final class TestFrames {

  private TestFrames() {
  }

  static List<RgbFrame> moving(int width, int height, int count) {
    List<RgbFrame> frames = new ArrayList<>();
    for (int t = 0; t < count; t++) {
      byte[] rgb = new byte[width * height * 3];
      int side = Math.max(4, Math.min(width, height) / 4);
      int sx = (t * 5) % Math.max(1, width - side);
      int sy = (t * 3) % Math.max(1, height - side);
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int i = (y * width + x) * 3;
          boolean square = x >= sx && x < sx + side && y >= sy && y < sy + side;
          rgb[i] = (byte) (square ? 240 : fold(x * 255 / width + t * 8));
          rgb[i + 1] = (byte) (square ? 240 : y * 255 / height);
          rgb[i + 2] = (byte) (square ? 240 : 128 + (x - y) / 4);
        }
      }
      frames.add(new RgbFrame(width, height, rgb));
    }
    return frames;
  }

  /** 0..255 up, then back down: a drifting gradient without a hard wrap-around edge. */
  private static int fold(int v) {
    int m = v % 510;
    return m < 256 ? m : 509 - m;
  }

  /** Mean absolute error per channel (R, G, B) between two frames of one size. */
  static double[] meanAbsError(RgbFrame a, RgbFrame b) {
    double[] sum = new double[3];
    byte[] x = a.rgb();
    byte[] y = b.rgb();
    for (int i = 0; i < x.length; i++) {
      sum[i % 3] += Math.abs((x[i] & 0xff) - (y[i] & 0xff));
    }
    int pixels = a.width() * a.height();
    return new double[] {sum[0] / pixels, sum[1] / pixels, sum[2] / pixels};
  }
}
