package io.flowreel.tiling;

import io.flowreel.tensor.FloatTensor;

/** Receives decoded video in order, a chunk of frames at a time: {@code [n, 3, height, width]}. */
@FunctionalInterface
public interface FrameChunkSink {
  void accept(int firstFrame, FloatTensor frames);
}
