package io.flowreel.tensor;

/**
 * The one rule between a network's pixels (float, -1..1) and 8 bits (0..255): values are clamped
 * first, as decoders overshoot. Frames cross the bus between stages as 8-bit planar
 * {@code [n, 3, h, w]}, a quarter of float32's bytes and no less than the MP4 keeps; the MP4 and
 * poster are written with the same rule, so frames stored as 8 bits publish to the same pixels as
 * frames kept as floats.
 */
public final class Pixels {

  private Pixels() {}

  public static int toByte(float v) {
    return Math.round((Math.max(-1f, Math.min(1f, v)) + 1f) * 127.5f);
  }

  public static float toFloat(int b) {
    return b / 127.5f - 1f;
  }

  /** {@code [n, 3, h, w]} floats to the same layout in 8 bits. */
  public static ByteTensor quantize(FloatTensor frames) {
    float[] data = frames.data();
    byte[] bytes = new byte[data.length];
    for (int i = 0; i < data.length; i++) {
      bytes[i] = (byte) toByte(data[i]);
    }
    return new ByteTensor(frames.shape(), bytes);
  }

  /** Frames {@code [from, to)} of 8-bit {@code [n, 3, h, w]} back to floats for a network. */
  public static FloatTensor dequantize(ByteTensor frames, int from, int to) {
    int size = 3 * frames.dim(2) * frames.dim(3);
    byte[] bytes = frames.data();
    float[] data = new float[(to - from) * size];
    for (int i = 0; i < data.length; i++) {
      data[i] = toFloat(bytes[from * size + i] & 0xff);
    }
    return new FloatTensor(new int[] {to - from, 3, frames.dim(2), frames.dim(3)}, data);
  }
}
