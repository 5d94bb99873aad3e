package io.flowreel.sampling;

/** The job was cancelled; {@code completedSteps} steps had finished. */
public final class SamplingCancelledException extends RuntimeException {

  private final int completedSteps;

  public SamplingCancelledException(int completedSteps) {
    super("cancelled after " + completedSteps + " denoising steps");
    this.completedSteps = completedSteps;
  }

  public int completedSteps() {
    return completedSteps;
  }
}
