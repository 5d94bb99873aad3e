package io.flowreel.artifacts;

import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.CorruptArtifactException;
import io.flowreel.runtime.StageContext;
import io.flowreel.tensor.FloatTensor;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;

/**
 * A whole clip as one float32 {@code [n, 3, h, w]} safetensors artifact named "frames". Decode
 * stores one, upsample stores a bigger one; the newest on a task is what gets published.
 */
public final class ClipFrames {

  public static final String NAME = "frames";

  private ClipFrames() {}

  public static Artifact store(StageContext ctx, RenderTask task, Stage stage, FloatTensor frames) throws IOException {
    return StoredTensors.store(ctx, task, stage, NAME, Map.of(NAME, frames));
  }

  public static FloatTensor read(StageContext ctx, RenderTask task) throws IOException {
    FloatTensor frames = StoredTensors.readFloat(ctx, task, NAME, NAME);
    if (frames.rank() != 4 || frames.dim(1) != 3) {
      throw new CorruptArtifactException("frames of job " + task.getSpec().getJobId() + " have shape "
          + Arrays.toString(frames.shape()) + ", expected [n, 3, h, w]");
    }
    return frames;
  }
}
