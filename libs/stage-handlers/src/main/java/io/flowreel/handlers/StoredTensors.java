package io.flowreel.handlers;

import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.ArtifactKeys;
import io.flowreel.runtime.ArtifactRefs;
import io.flowreel.runtime.CorruptArtifactException;
import io.flowreel.runtime.StageContext;
import io.flowreel.runtime.Topics;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Tensor;
import java.io.IOException;
import java.util.Map;

/** Safetensors artifacts in the work bucket, keyed by (job, attempt, stage, name). */
final class StoredTensors {

  private StoredTensors() {}

  static Artifact store(StageContext ctx, RenderTask task, Stage stage, String name,
      Map<String, ? extends Tensor> tensors) throws IOException {
    String key = key(task, stage, name);
    return ctx.store().putTensors(ctx.workBucket(), key, Topics.id(stage), name, tensors);
  }

  static String key(RenderTask task, Stage stage, String name) {
    return ArtifactKeys.key(task.getSpec().getJobId(), task.getAttempt(), Topics.id(stage), name,
        Artifact.Format.SAFETENSORS);
  }

  /** Every tensor of the newest artifact called {@code name} on the task. */
  static Map<String, Tensor> read(StageContext ctx, RenderTask task, String name) throws IOException {
    return ctx.store().getTensors(ArtifactRefs.find(task, name));
  }

  /** One float tensor of the newest artifact called {@code name}; a missing one is a corrupt artifact. */
  static FloatTensor readFloat(StageContext ctx, RenderTask task, String name, String tensor) throws IOException {
    return asFloat(read(ctx, task, name), name, tensor);
  }

  static FloatTensor asFloat(Map<String, Tensor> tensors, String artifact, String tensor) {
    if (tensors.get(tensor) instanceof FloatTensor f) {
      return f;
    }
    throw new CorruptArtifactException("artifact " + artifact + " has no float32 tensor '" + tensor + "'; it has "
        + tensors.keySet());
  }
}
