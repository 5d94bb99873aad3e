package io.flowreel.denoiser;

import io.flowreel.artifacts.StoredTensors;
import io.flowreel.contract.Stages;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.runtime.StageContext;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.LongTensor;
import io.flowreel.tensor.SafeTensors;
import io.flowreel.tensor.SafeTensorsException;
import io.flowreel.tensor.Tensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The latent part-way through sampling, at one fixed key per (job, attempt): a newer attempt never
 * resumes an older attempt's latent, and a redelivery of the same attempt finds its own.
 */
final class DenoiseCheckpoint {

  static final String NAME = "checkpoint";

  /** {@code latent} after {@code completedSteps} steps (0: fresh noise). */
  record Position(FloatTensor latent, int completedSteps) {}

  private final StageContext ctx;
  private final String key;

  DenoiseCheckpoint(StageContext ctx, RenderTask task) {
    this.ctx = ctx;
    this.key = StoredTensors.key(task, Stage.DENOISE, NAME);
  }

  void store(Position position, int totalSteps) throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("latent", position.latent());
    tensors.put("completed_steps", new LongTensor(new int[] {1}, new long[] {position.completedSteps()}));
    tensors.put("total_steps", new LongTensor(new int[] {1}, new long[] {totalSteps}));
    StoredTensors.put(ctx.store(), ctx.workBucket(), key, Stages.id(Stage.DENOISE), NAME, tensors);
  }

  /**
   * The stored position, if there is one that fits this latent shape and step count. Anything else
   * (no object, unreadable, another shape) means starting from noise: a checkpoint only saves time.
   */
  Optional<Position> find(int[] latentShape, int totalSteps) throws IOException {
    Optional<byte[]> bytes = ctx.store().find(ctx.workBucket(), key);
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Tensor> tensors;
    try {
      tensors = SafeTensors.read(new ByteArrayInputStream(bytes.get()));
    } catch (SafeTensorsException e) {
      return Optional.empty();
    }
    if (!(tensors.get("latent") instanceof FloatTensor latent) || !Arrays.equals(latent.shape(), latentShape)
        || !latent.allFinite()) {
      return Optional.empty();
    }
    long completed = scalar(tensors.get("completed_steps"));
    if (scalar(tensors.get("total_steps")) != totalSteps || completed < 1 || completed > totalSteps) {
      return Optional.empty();
    }
    return Optional.of(new Position(latent, (int) completed));
  }

  private static long scalar(Tensor t) {
    return t instanceof LongTensor l && l.data().length == 1 ? l.data()[0] : -1;
  }
}
