package io.flowreel.media;

import io.flowreel.tensor.ByteTensor;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Pixels;

/** Planar {@code [n, 3, h, w]} frames to one 8-bit interleaved RGB frame, by {@link Pixels}' rule. */
public final class PixelConversion {

  private PixelConversion() {}

  /** Frame {@code index} of network output in [-1, 1]. */
  public static RgbFrame toRgb(FloatTensor frames, int index) {
    return toRgb(Pixels.quantize(frames.slice(index).reshape(1, 3, frames.dim(2), frames.dim(3))), 0);
  }

  /** Frame {@code index} of frames already in 8 bits: planar to interleaved, nothing rounded. */
  public static RgbFrame toRgb(ByteTensor frames, int index) {
    int plane = frames.dim(2) * frames.dim(3);
    byte[] data = frames.data();
    int base = index * 3 * plane;
    byte[] rgb = new byte[3 * plane];
    for (int i = 0; i < plane; i++) {
      for (int c = 0; c < 3; c++) {
        rgb[3 * i + c] = data[base + c * plane + i];
      }
    }
    return new RgbFrame(frames.dim(3), frames.dim(2), rgb);
  }
}
