package io.flowreel.denoiser;

import io.flowreel.artifacts.StoredTensors;
import io.flowreel.contract.Stages;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.runtime.StageContext;
import io.flowreel.sampling.SamplerState;
import io.flowreel.tensor.ByteTensor;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.LongTensor;
import io.flowreel.tensor.SafeTensors;
import io.flowreel.tensor.SafeTensorsException;
import io.flowreel.tensor.Tensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The sampler's state part-way through sampling, at one fixed key per (job, attempt): a newer
 * attempt never resumes an older attempt's state, and a redelivery of the same attempt finds its
 * own. A state is resumed only by the sampler that wrote it (solver, steps and shift), since a
 * multistep solver's history means nothing to another one.
 */
final class DenoiseCheckpoint {

  static final String NAME = "checkpoint";
  /** Prefix of the sampler's history tensors, e.g. {@code history.unipc.x0_previous}. */
  static final String HISTORY = "history.";

  private static final Logger LOG = Logger.getLogger(DenoiseCheckpoint.class);

  /** Which run a state belongs to: what decides every step after it besides the latent and history. */
  record Run(String solver, int totalSteps, double shift) {}

  private final StageContext ctx;
  private final String key;

  DenoiseCheckpoint(StageContext ctx, RenderTask task) {
    this.ctx = ctx;
    this.key = StoredTensors.key(task, Stage.DENOISE, NAME);
  }

  void store(Run run, SamplerState state) throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("latent", state.latent());
    tensors.put("completed_steps", scalar(state.completedSteps()));
    tensors.put("total_steps", scalar(run.totalSteps()));
    tensors.put("shift", new FloatTensor(new int[] {1}, new float[] {(float) run.shift()}));
    byte[] solver = run.solver().getBytes(StandardCharsets.UTF_8);
    tensors.put("solver", new ByteTensor(new int[] {solver.length}, solver));
    state.history().forEach((name, t) -> tensors.put(HISTORY + name, t));
    StoredTensors.put(ctx.store(), ctx.workBucket(), key, Stages.id(Stage.DENOISE), NAME, tensors);
  }

  /**
   * The stored state, if there is one of this run with this latent shape. Anything else (no object,
   * unreadable, another run or shape) means starting from noise: a checkpoint only saves time.
   */
  Optional<SamplerState> find(Run run, int[] latentShape) throws IOException {
    Optional<byte[]> bytes = ctx.store().find(ctx.workBucket(), key);
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Tensor> tensors;
    try {
      tensors = SafeTensors.read(new ByteArrayInputStream(bytes.get()));
    } catch (SafeTensorsException e) {
      return skipped("it is unreadable (" + e.getMessage() + ")");
    }
    if (!fits(tensors.get("latent"), latentShape)) {
      return skipped("its latent is not a finite F32 tensor of shape " + Arrays.toString(latentShape));
    }
    String solver = text(tensors.get("solver"));
    long steps = scalar(tensors.get("total_steps"));
    float shift = tensors.get("shift") instanceof FloatTensor f && f.data().length == 1 ? f.data()[0] : Float.NaN;
    if (!run.solver().equals(solver) || steps != run.totalSteps() || shift != (float) run.shift()) {
      return skipped("it belongs to another run (" + solver + ", " + steps + " steps, shift " + shift + "), not to "
          + run.solver() + ", " + run.totalSteps() + " steps, shift " + (float) run.shift());
    }
    long completed = scalar(tensors.get("completed_steps"));
    if (completed < 1 || completed > run.totalSteps()) {
      return skipped("its step " + completed + " is outside 1.." + run.totalSteps());
    }
    Map<String, FloatTensor> history = new HashMap<>();
    for (Map.Entry<String, Tensor> t : tensors.entrySet()) {
      if (t.getKey().startsWith(HISTORY)) {
        if (!fits(t.getValue(), latentShape)) {
          return skipped("its " + t.getKey() + " is not a finite F32 tensor of the latent's shape");
        }
        history.put(t.getKey().substring(HISTORY.length()), (FloatTensor) t.getValue());
      }
    }
    return Optional.of(new SamplerState((int) completed, (FloatTensor) tensors.get("latent"), history));
  }

  private Optional<SamplerState> skipped(String why) {
    LOG.infof("not resuming from %s: %s; sampling from noise", key, why);
    return Optional.empty();
  }

  private static boolean fits(Tensor t, int[] shape) {
    return t instanceof FloatTensor f && Arrays.equals(f.shape(), shape) && f.allFinite();
  }

  private static LongTensor scalar(long value) {
    return new LongTensor(new int[] {1}, new long[] {value});
  }

  private static long scalar(Tensor t) {
    return t instanceof LongTensor l && l.data().length == 1 ? l.data()[0] : -1;
  }

  private static String text(Tensor t) {
    return t instanceof ByteTensor b ? new String(b.data(), StandardCharsets.UTF_8) : "(none)";
  }
}
