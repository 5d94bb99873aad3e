package io.flowreel.sampling;

/**
 * The noise levels and network timesteps of Wan2.1's UniPC sampler (FlowUniPCMultistepScheduler
 * as wan/text2video.py sets it up), computed with the same float64 arithmetic so that every value
 * is the reference's to the bit.
 *
 * <p>Sigmas run from just below 1 (the 1000-step training grid's largest, 0.999, then shifted) down
 * to 0; the network is given {@code floor(1000 sigma)} of the float64 sigma, because the reference
 * turns its timesteps into int64.
 */
public record FlowUniPcSchedule(float[] sigmas, long[] timesteps) {

  /** Wan2.1's training grid (wan/configs/shared_config.py: num_train_timesteps). */
  public static final int TRAIN_TIMESTEPS = 1000;

  public static FlowUniPcSchedule of(int steps, double shift) {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be at least 1, was " + steps);
    }
    if (!(shift > 0)) {
      throw new IllegalArgumentException("shift must be positive, was " + shift);
    }
    // The scheduler's constructor keeps its 1000 training sigmas in float32; the largest is 1 - 1/1000.
    double sigmaMax = (float) (1.0 - 1.0 / TRAIN_TIMESTEPS);
    double step = -sigmaMax / steps; // numpy's linspace(sigmaMax, 0, steps + 1): i * step + start
    float[] sigmas = new float[steps + 1]; // the last stays 0: final_sigmas_type "zero"
    long[] timesteps = new long[steps];
    for (int i = 0; i < steps; i++) {
      double s = i * step + sigmaMax;
      double shifted = shift * s / (1 + (shift - 1) * s);
      sigmas[i] = (float) shifted;
      timesteps[i] = (long) (shifted * TRAIN_TIMESTEPS);
    }
    if (steps > 1 && timesteps[0] == timesteps[1]) {
      // The reference looks its first step up by timestep and takes the second match when there are
      // two: it would start one sigma late and fail on its last step.
      throw new IllegalArgumentException(steps + " steps with shift " + shift
          + " give two first steps at timestep " + timesteps[0] + ", which the reference cannot sample");
    }
    return new FlowUniPcSchedule(sigmas, timesteps);
  }

  public int steps() {
    return timesteps.length;
  }
}
