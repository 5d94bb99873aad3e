package io.flowreel.artifacts;

import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.CorruptArtifactException;
import io.flowreel.runtime.StageContext;
import io.flowreel.tensor.ByteTensor;
import io.flowreel.tensor.Tensor;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;

/**
 * A whole clip as one 8-bit {@code [n, 3, h, w]} safetensors artifact named "frames" (dtype U8, 0..255
 * for -1..1): a quarter of float32's bytes, and no more than the MP4 keeps. Decode stores one, upsample
 * stores a bigger one; the newest on a task is what gets published.
 */
public final class ClipFrames {

  public static final String NAME = "frames";

  private ClipFrames() {}

  public static Artifact store(StageContext ctx, RenderTask task, Stage stage, ByteTensor frames) throws IOException {
    return StoredTensors.store(ctx, task, stage, NAME, Map.of(NAME, frames));
  }

  public static ByteTensor read(StageContext ctx, RenderTask task) throws IOException {
    Map<String, Tensor> tensors = StoredTensors.read(ctx, task, NAME);
    if (!(tensors.get(NAME) instanceof ByteTensor frames) || frames.rank() != 4 || frames.dim(1) != 3) {
      Tensor found = tensors.get(NAME);
      throw new CorruptArtifactException("frames of job " + task.getSpec().getJobId() + " are "
          + (found == null ? "missing" : found.dtype() + " " + Arrays.toString(found.shape()))
          + ", expected U8 [n, 3, h, w]");
    }
    return frames;
  }
}
