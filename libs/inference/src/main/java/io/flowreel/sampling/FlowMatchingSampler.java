package io.flowreel.sampling;

import io.flowreel.tensor.FloatTensor;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Euler integration of a velocity field along a shifted flow-matching schedule, in fp32. */
public final class FlowMatchingSampler implements LatentSampler {

  /** Called after every step with the latent so far; a checkpoint can store it. */
  @FunctionalInterface
  public interface StepListener {
    void onStep(int completedSteps, int totalSteps, FloatTensor latent);
  }

  private final int steps;
  private final float[] times;

  public FlowMatchingSampler(int steps, double shift) {
    this.steps = steps;
    this.times = FlowMatchingSchedule.times(steps, shift);
  }

  @Override
  public int steps() {
    return steps;
  }

  /**
   * Integrates from step {@code startStep} (0 for fresh noise; later to resume a checkpoint) to
   * the end. {@code x} is updated in place and returned. Cancellation is checked before each step.
   */
  public FloatTensor sample(FloatTensor x, int startStep, VelocityField field, StepListener listener,
      BooleanSupplier cancelled) {
    if (startStep < 0 || startStep > steps) {
      throw new IllegalArgumentException("start step " + startStep + " is outside 0.." + steps);
    }
    float[] latent = x.data();
    for (int i = startStep; i < steps; i++) {
      if (cancelled.getAsBoolean()) {
        throw new SamplingCancelledException(i);
      }
      float[] v = field.velocity(x, times[i]).data();
      float dt = times[i + 1] - times[i];
      for (int j = 0; j < latent.length; j++) {
        latent[j] += dt * v[j];
      }
      listener.onStep(i + 1, steps, x);
    }
    return x;
  }

  /** The same run through {@link LatentSampler}: Euler needs no history, only the latent. */
  @Override
  public FloatTensor sample(SamplerState from, VelocityField field, LatentSampler.StateListener listener,
      BooleanSupplier cancelled) {
    if (!from.history().isEmpty()) {
      throw new IllegalArgumentException("Euler keeps no history, but the state holds " + from.history().keySet());
    }
    return sample(from.latent(), from.completedSteps(), field,
        (done, total, x) -> listener.onStep(total, new SamplerState(done, x, Map.of())), cancelled);
  }
}
