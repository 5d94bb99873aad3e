package io.flowreel.sampling;

import io.flowreel.tensor.FloatTensor;
import java.util.function.BooleanSupplier;

/**
 * A sampler from noise to a latent video that can stop after any step and resume from the state it
 * handed out there. The pack names the solver: {@link #EULER} for the tiny pack, {@link #UNIPC} for
 * Wan2.1 (its reference's default).
 */
public interface LatentSampler {

  String EULER = "euler";
  String UNIPC = "unipc";

  /** Called after every step; store or copy the state during the call (Euler reuses the latent). */
  @FunctionalInterface
  interface StateListener {
    void onStep(int totalSteps, SamplerState state);
  }

  int steps();

  /**
   * Runs from {@code from} (its step, latent and history) to the end and returns the final latent.
   * Cancellation is checked before each step. {@code from} must come from this sampler's kind with
   * the same steps and shift; a state that lacks the history the solver needs is refused.
   */
  FloatTensor sample(SamplerState from, VelocityField field, StateListener listener, BooleanSupplier cancelled);

  static LatentSampler of(String solver, int steps, double shift) {
    return switch (solver) {
      case EULER -> new FlowMatchingSampler(steps, shift);
      case UNIPC -> new FlowUniPcSampler(steps, shift);
      default -> throw new IllegalArgumentException("unknown solver '" + solver + "' (" + EULER + ", " + UNIPC + ")");
    };
  }
}
