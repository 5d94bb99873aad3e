package io.flowreel.media;

import java.util.Arrays;

/**
 * One video frame as interleaved 8-bit RGB, row-major, no row padding: the byte at
 * {@code (y * width + x) * 3 + c} is channel {@code c} (0 = R, 1 = G, 2 = B) of pixel (x, y).
 *
 * <p>The array is not copied (frames are large and handed straight to the encoder), so callers
 * must not change it after handing the frame over. Equality compares the pixels.
 */
public record RgbFrame(int width, int height, byte[] rgb) {

  public RgbFrame {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("frame size must be positive, got " + width + "x" + height);
    }
    if (rgb == null) {
      throw new IllegalArgumentException("rgb must not be null");
    }
    long expected = 3L * width * height;
    if (rgb.length != expected) {
      throw new IllegalArgumentException("a " + width + "x" + height + " RGB frame needs " + expected
          + " bytes, got " + rgb.length);
    }
  }

  // Records compare arrays by reference; frames are only useful compared by content.
  @Override
  public boolean equals(Object o) {
    return o instanceof RgbFrame f && f.width == width && f.height == height && Arrays.equals(f.rgb, rgb);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * width + height) + Arrays.hashCode(rgb);
  }

  @Override
  public String toString() {
    return "RgbFrame[" + width + "x" + height + "]";
  }
}
