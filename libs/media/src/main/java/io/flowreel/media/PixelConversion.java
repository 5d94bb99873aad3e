package io.flowreel.media;

import io.flowreel.tensor.FloatTensor;

/** Network output in [-1, 1] (planar RGB) to 8-bit interleaved RGB. */
public final class PixelConversion {

  private PixelConversion() {}

  /** Frame {@code index} of {@code [n, 3, h, w]}; values are clamped first, as decoders overshoot. */
  public static RgbFrame toRgb(FloatTensor frames, int index) {
    int h = frames.dim(2);
    int w = frames.dim(3);
    int plane = h * w;
    float[] data = frames.data();
    int base = index * 3 * plane;
    byte[] rgb = new byte[3 * plane];
    for (int i = 0; i < plane; i++) {
      for (int c = 0; c < 3; c++) {
        float v = Math.max(-1f, Math.min(1f, data[base + c * plane + i]));
        rgb[3 * i + c] = (byte) Math.round((v + 1f) * 127.5f);
      }
    }
    return new RgbFrame(w, h, rgb);
  }
}
