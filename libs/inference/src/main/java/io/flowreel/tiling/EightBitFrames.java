package io.flowreel.tiling;

import io.flowreel.tensor.ByteTensor;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Pixels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where frames leave a stage they become 8-bit ({@link Pixels#quantize}): on the bus that is
 * what is stored between decode, upsample and publish, and the local renderer passes its decoded
 * frames through the same rounding ({@link #roundTrip}) before upsampling, so both paths give the
 * upsampler, and the MP4, the same values.
 */
public final class EightBitFrames {

  private EightBitFrames() {}

  /** {@code downstream} receiving each chunk as it would after being stored as 8 bits and read back. */
  public static FrameChunkSink roundTrip(FrameChunkSink downstream) {
    return (first, frames) -> {
      ByteTensor stored = Pixels.quantize(frames);
      downstream.accept(first, Pixels.dequantize(stored, 0, frames.dim(0)));
    };
  }

  /** Joins streamed chunks into one 8-bit clip, quantizing each as it arrives so no float clip is ever held whole. */
  public static final class Collector implements FrameChunkSink {
    private final List<ByteTensor> chunks = new ArrayList<>();
    private int next;

    @Override
    public void accept(int firstFrame, FloatTensor frames) {
      if (firstFrame != next) {
        throw new IllegalStateException("frames arrived out of order: expected " + next + ", got " + firstFrame);
      }
      chunks.add(Pixels.quantize(frames));
      next += frames.dim(0);
    }

    public ByteTensor clip() {
      if (chunks.isEmpty()) {
        throw new IllegalStateException("no frames arrived");
      }
      int[] shape = chunks.get(0).shape();
      shape[0] = next;
      byte[] data = new byte[Math.toIntExact((long) next * shape[1] * shape[2] * shape[3])];
      int offset = 0;
      for (ByteTensor chunk : chunks) {
        if (!Arrays.equals(Arrays.copyOfRange(chunk.shape(), 1, 4), Arrays.copyOfRange(shape, 1, 4))) {
          throw new IllegalStateException("a chunk of " + Arrays.toString(chunk.shape()) + " does not fit a clip of "
              + Arrays.toString(shape));
        }
        System.arraycopy(chunk.data(), 0, data, offset, chunk.data().length);
        offset += chunk.data().length;
      }
      return new ByteTensor(shape, data);
    }
  }
}
