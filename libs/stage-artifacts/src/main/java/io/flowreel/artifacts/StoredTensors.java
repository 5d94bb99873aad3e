package io.flowreel.artifacts;

import io.flowreel.contract.Stages;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.ArtifactKeys;
import io.flowreel.runtime.ArtifactRefs;
import io.flowreel.runtime.ArtifactStore;
import io.flowreel.runtime.CorruptArtifactException;
import io.flowreel.runtime.StageContext;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.SafeTensors;
import io.flowreel.tensor.SafeTensorsException;
import io.flowreel.tensor.Tensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Tensors as safetensors artifacts: the bus stores bytes, this is where they become tensors. Work
 * artifacts are keyed by (job, attempt, stage, name).
 */
public final class StoredTensors {

  private StoredTensors() {}

  public static Artifact put(ArtifactStore store, String bucket, String key, String stage, String name,
      Map<String, ? extends Tensor> tensors) throws IOException {
    List<Artifact.TensorInfo> infos = new ArrayList<>();
    tensors.forEach((tensorName, t) -> infos.add(new Artifact.TensorInfo(tensorName,
        t.dtype(), Arrays.stream(t.shape()).mapToObj(d -> (long) d).toList())));
    return store.put(bucket, key, SafeTensors.toBytes(tensors), Artifact.Format.SAFETENSORS, stage, name, infos);
  }

  /** The artifact's tensors, after its size and sha256 are checked. */
  public static Map<String, Tensor> get(ArtifactStore store, Artifact artifact) throws IOException {
    byte[] bytes = store.get(artifact);
    try {
      return SafeTensors.read(new ByteArrayInputStream(bytes));
    } catch (SafeTensorsException e) {
      throw new CorruptArtifactException(ArtifactStore.describe(artifact) + " is not valid safetensors: "
          + e.getMessage(), e);
    }
  }

  /** Stores {@code tensors} as the task's artifact {@code name} of {@code stage} in the work bucket. */
  public static Artifact store(StageContext ctx, RenderTask task, Stage stage, String name,
      Map<String, ? extends Tensor> tensors) throws IOException {
    return put(ctx.store(), ctx.workBucket(), key(task, stage, name), Stages.id(stage), name, tensors);
  }

  public static String key(RenderTask task, Stage stage, String name) {
    return ArtifactKeys.key(task.getSpec().getJobId(), task.getAttempt(), Stages.id(stage), name,
        Artifact.Format.SAFETENSORS);
  }

  /** Every tensor of the newest artifact called {@code name} on the task. */
  public static Map<String, Tensor> read(StageContext ctx, RenderTask task, String name) throws IOException {
    return get(ctx.store(), ArtifactRefs.find(task, name));
  }

  /** One float tensor of the newest artifact called {@code name}; a missing one is a corrupt artifact. */
  public static FloatTensor readFloat(StageContext ctx, RenderTask task, String name, String tensor)
      throws IOException {
    return asFloat(read(ctx, task, name), name, tensor);
  }

  public static FloatTensor asFloat(Map<String, Tensor> tensors, String artifact, String tensor) {
    if (tensors.get(tensor) instanceof FloatTensor f) {
      return f;
    }
    throw new CorruptArtifactException("artifact " + artifact + " has no float32 tensor '" + tensor + "'; it has "
        + tensors.keySet());
  }
}
