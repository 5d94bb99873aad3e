package io.flowreel.tiling;

import io.flowreel.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.List;

/** Joins streamed chunks back into the whole clip, checking they arrive in order. */
public final class FrameCollector implements FrameChunkSink {
  private final List<FloatTensor> chunks = new ArrayList<>();
  private int next;

  @Override
  public void accept(int firstFrame, FloatTensor frames) {
    if (firstFrame != next) {
      throw new IllegalStateException("frames arrived out of order: expected " + next + ", got " + firstFrame);
    }
    chunks.add(frames);
    next += frames.dim(0);
  }

  public FloatTensor clip() {
    if (chunks.isEmpty()) {
      throw new IllegalStateException("no frames arrived");
    }
    return chunks.size() == 1 ? chunks.get(0) : FloatTensor.concat(chunks.toArray(FloatTensor[]::new));
  }
}
