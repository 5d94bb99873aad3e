package io.flowreel.sampling;

import io.flowreel.tensor.FloatTensor;
import java.util.Map;

/**
 * Where a sampler stands after {@code completedSteps}: the latent the next step starts from, and
 * the history that a multistep solver's next steps read (none for Euler). A denoise checkpoint that
 * stores the step, the latent and every history tensor by name can resume the run exactly.
 */
public record SamplerState(int completedSteps, FloatTensor latent, Map<String, FloatTensor> history) {

  public SamplerState {
    if (completedSteps < 0) {
      throw new IllegalArgumentException("completed steps cannot be negative, was " + completedSteps);
    }
    history = Map.copyOf(history);
  }

  /** The state before the first step: the initial noise and no history. */
  public static SamplerState initial(FloatTensor noise) {
    return new SamplerState(0, noise, Map.of());
  }
}
