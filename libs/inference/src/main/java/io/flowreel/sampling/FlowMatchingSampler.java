package io.flowreel.sampling;

import io.flowreel.tensor.FloatTensor;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Euler integration of a velocity field along a shifted flow-matching schedule, in fp32. */
public final class FlowMatchingSampler implements LatentSampler {

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
   * Euler needs no history, only the latent, which is updated in place and returned: every state
   * handed to the listener shares it.
   */
  @Override
  public FloatTensor sample(SamplerState from, VelocityField field, StateListener listener, BooleanSupplier cancelled) {
    if (!from.history().isEmpty()) {
      throw new IllegalArgumentException("Euler keeps no history, but the state holds " + from.history().keySet());
    }
    if (from.completedSteps() > steps) {
      throw new IllegalArgumentException("start step " + from.completedSteps() + " is outside 0.." + steps);
    }
    FloatTensor x = from.latent();
    float[] latent = x.data();
    for (int i = from.completedSteps(); i < steps; i++) {
      if (cancelled.getAsBoolean()) {
        throw new SamplingCancelledException(i);
      }
      float[] v = field.velocity(x, times[i]).data();
      float dt = times[i + 1] - times[i];
      for (int j = 0; j < latent.length; j++) {
        latent[j] += dt * v[j];
      }
      listener.onStep(steps, new SamplerState(i + 1, x, Map.of()));
    }
    return x;
  }
}
