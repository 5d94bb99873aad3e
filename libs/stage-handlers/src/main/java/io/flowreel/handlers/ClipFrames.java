package io.flowreel.handlers;

import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.CorruptArtifactException;
import io.flowreel.runtime.StageContext;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tiling.FrameChunkSink;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A whole clip as one float32 {@code [n, 3, h, w]} safetensors artifact named "frames". Decode
 * stores one, upsample stores a bigger one; the newest on a task is what gets published.
 */
final class ClipFrames {

  static final String NAME = "frames";

  private ClipFrames() {}

  static Artifact store(StageContext ctx, RenderTask task, Stage stage, FloatTensor frames) throws IOException {
    return StoredTensors.store(ctx, task, stage, NAME, Map.of(NAME, frames));
  }

  static FloatTensor read(StageContext ctx, RenderTask task) throws IOException {
    FloatTensor frames = StoredTensors.readFloat(ctx, task, NAME, NAME);
    if (frames.rank() != 4 || frames.dim(1) != 3) {
      throw new CorruptArtifactException("frames of job " + task.getSpec().getJobId() + " have shape "
          + Arrays.toString(frames.shape()) + ", expected [n, 3, h, w]");
    }
    return frames;
  }

  /** Joins streamed chunks back into the whole clip, checking they arrive in order. */
  static final class Collector implements FrameChunkSink {
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

    FloatTensor clip() {
      if (chunks.isEmpty()) {
        throw new IllegalStateException("no frames arrived");
      }
      return chunks.size() == 1 ? chunks.get(0) : FloatTensor.concat(chunks.toArray(FloatTensor[]::new));
    }
  }
}
