package io.flowreel.sampling;

/**
 * Flow-matching times from noise (s = 1) to data (s = 0): s = linspace(1, 0, N + 1), then the
 * static shift s' = shift * s / (1 + (shift - 1) * s), which spends more steps at high noise.
 */
public final class FlowMatchingSchedule {

  private FlowMatchingSchedule() {}

  public static float[] times(int steps, double shift) {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be at least 1, was " + steps);
    }
    if (!(shift > 0)) {
      throw new IllegalArgumentException("shift must be positive, was " + shift);
    }
    float[] times = new float[steps + 1];
    for (int i = 0; i <= steps; i++) {
      double s = 1.0 - (double) i / steps;
      times[i] = (float) (shift * s / (1 + (shift - 1) * s));
    }
    return times;
  }
}
