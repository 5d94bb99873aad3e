package io.flowreel.sampling;

import io.flowreel.tensor.FloatTensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Wan2.1's default sampler: UniPC (Zhao et al. 2023, "UniPC: A Unified Predictor-Corrector
 * Framework for Fast Sampling of Diffusion Models") on the flow-matching path x = (1 - sigma) x0 +
 * sigma noise, in its data-prediction form with B(h) = e^h - 1 ("bh2"), order 2, first order on
 * the first and the last step, and the corrector on every step but the first.
 *
 * <p>Each step turns the field's velocity v into a data prediction x0 = x - sigma v, corrects the
 * previous step with it (UniC), then predicts the next latent from the two latest predictions
 * (UniP). The last step lands on sigma 0, where the update is the data prediction itself.
 *
 * <p>The field is given the reference's network timestep, {@code floor(1000 sigma)} as a float
 * (999, 995, ... for 50 steps with shift 5), not a flow time in [0, 1]: a DiT driven by this
 * sampler must take timesteps on Wan's 0..1000 scale.
 *
 * <p>Resuming needs more than the latent: the corrected previous latent and the last two data
 * predictions, handed out in every {@link SamplerState}'s history under the names below.
 */
public final class FlowUniPcSampler implements LatentSampler {

  /** The previous step's latent after its correction: the next corrector restarts from it. */
  public static final String LAST_SAMPLE = "unipc.last_sample";
  /** The data prediction x0 of the previous step. */
  public static final String X0_PREVIOUS = "unipc.x0_previous";
  /** The data prediction x0 of the step before that (from 2 completed steps on). */
  public static final String X0_BEFORE_PREVIOUS = "unipc.x0_before_previous";

  private static final int ORDER = 2;

  private final FlowUniPcSchedule schedule;
  private final float[] alphas;
  /** log(alpha / sigma), the log signal-to-noise ratio; +infinity at sigma 0. */
  private final float[] lambdas;

  public FlowUniPcSampler(int steps, double shift) {
    this.schedule = FlowUniPcSchedule.of(steps, shift);
    float[] sigmas = schedule.sigmas();
    alphas = new float[sigmas.length];
    lambdas = new float[sigmas.length];
    for (int i = 0; i < sigmas.length; i++) {
      // Scalars in float32, as the reference's 0-dim tensors, so that its trajectories are
      // reproduced to the bit on short runs (and to rounding over 50 steps).
      alphas[i] = 1f - sigmas[i];
      lambdas[i] = (float) Math.log(alphas[i]) - (float) Math.log(sigmas[i]);
    }
  }

  public FlowUniPcSchedule schedule() {
    return schedule;
  }

  @Override
  public int steps() {
    return schedule.steps();
  }

  @Override
  public FloatTensor sample(SamplerState from, VelocityField field, StateListener listener,
      BooleanSupplier cancelled) {
    int steps = steps();
    int start = from.completedSteps();
    if (start > steps) {
      throw new IllegalArgumentException("start step " + start + " is outside 0.." + steps);
    }
    int[] shape = from.latent().shape();
    float[] x = from.latent().data();
    float[] lastSample = history(from, LAST_SAMPLE, start >= 1);
    float[] x0Previous = history(from, X0_PREVIOUS, start >= 1);
    float[] x0BeforePrevious = history(from, X0_BEFORE_PREVIOUS, start >= 2);
    for (int k = start; k < steps; k++) {
      if (cancelled.getAsBoolean()) {
        throw new SamplingCancelledException(k);
      }
      float sigma = schedule.sigmas()[k];
      float[] v = field.velocity(new FloatTensor(shape, x), (float) schedule.timesteps()[k]).data();
      float[] x0 = new float[x.length];
      for (int j = 0; j < x.length; j++) {
        x0[j] = x[j] - sigma * v[j];
      }
      float[] corrected = k == 0 ? x : correct(k, lastSample, x0Previous, x0BeforePrevious, x0);
      float[] next = predict(k, corrected, x0, x0Previous);
      // Arrays are never written after they are handed out, so states need no copies.
      x0BeforePrevious = x0Previous;
      x0Previous = x0;
      lastSample = corrected;
      x = next;
      listener.onStep(steps, state(k + 1, shape, x, lastSample, x0Previous, x0BeforePrevious));
    }
    return new FloatTensor(shape, x);
  }

  /** The order of the predictor of step k: 1 to warm up and on the last step, else 2. */
  private int order(int k) {
    return Math.min(ORDER, Math.min(k + 1, steps() - k));
  }

  /**
   * UniP from sigma_k to sigma_k+1: x' = (sigma'/sigma) x - alpha' (e^-h - 1) x0_k - alpha' B(h)
   * rho D1, with h the log-SNR step, D1 the divided difference of the last two data predictions
   * and rho = 1/2 at order 2.
   */
  private float[] predict(int k, float[] x, float[] x0, float[] x0Previous) {
    Step step = new Step(k, k + 1);
    float[] out = step.base(x, x0);
    if (order(k) == 2) {
      float rk = (lambdas[k - 1] - lambdas[k]) / step.h;
      for (int j = 0; j < out.length; j++) {
        float d1 = (x0Previous[j] - x0[j]) / rk;
        out[j] = out[j] - step.alphaPhi1 * (0.5f * d1);
      }
    }
    return out;
  }

  /**
   * UniC: redoes step k-1 from its corrected start with the new prediction x0_k as well, at the
   * order that step's predictor used. The weights solve the order conditions of the paper's B(h)
   * form (a 2x2 system at order 2; 1/2 at order 1).
   */
  private float[] correct(int k, float[] lastSample, float[] x0Previous, float[] x0BeforePrevious, float[] x0) {
    Step step = new Step(k - 1, k);
    float[] out = step.base(lastSample, x0Previous);
    if (order(k - 1) == 1) {
      for (int j = 0; j < out.length; j++) {
        out[j] = out[j] - step.alphaPhi1 * (0.5f * (x0[j] - x0Previous[j]));
      }
      return out;
    }
    float rk = (lambdas[k - 2] - lambdas[k - 1]) / step.h;
    float hh = -step.h;
    float phiK = step.phi1 / hh - 1f;
    float b1 = phiK * 1f / step.phi1;
    phiK = phiK / hh - 0.5f;
    float b2 = phiK * 2f / step.phi1;
    // The weights of the older and the new difference: [1 1; rk 1] (rhoOlder, rhoNew) = (b1, b2).
    float rhoOlder = (float) (((double) b1 - b2) / (1.0 - rk));
    float rhoNew = (float) (((double) b2 - (double) rk * b1) / (1.0 - rk));
    for (int j = 0; j < out.length; j++) {
      float dOlder = (x0BeforePrevious[j] - x0Previous[j]) / rk;
      float dNew = x0[j] - x0Previous[j];
      out[j] = out[j] - step.alphaPhi1 * (rhoOlder * dOlder + rhoNew * dNew);
    }
    return out;
  }

  /** The scalars of one update from sigma index s to t, rounded to float32 as the reference's. */
  private final class Step {
    final float h;
    final float phi1;
    final float ratio;
    /** alpha_t (e^-h - 1), which is also alpha_t B(h): with "bh2" B(h) = e^-h - 1 in this form. */
    final float alphaPhi1;

    Step(int s, int t) {
      h = lambdas[t] - lambdas[s];
      phi1 = (float) Math.expm1(-h); // -h: the data-prediction form
      ratio = schedule.sigmas()[t] / schedule.sigmas()[s];
      alphaPhi1 = alphas[t] * phi1;
    }

    /** (sigma_t/sigma_s) x - alpha_t (e^-h - 1) x0: the first-order (DDIM-like) part. At sigma_t 0 it is x0. */
    float[] base(float[] x, float[] x0) {
      float[] out = new float[x.length];
      for (int j = 0; j < x.length; j++) {
        out[j] = ratio * x[j] - alphaPhi1 * x0[j];
      }
      return out;
    }
  }

  private static float[] history(SamplerState from, String name, boolean needed) {
    FloatTensor t = from.history().get(name);
    if (t == null) {
      if (needed) {
        throw new IllegalArgumentException("resuming UniPC after " + from.completedSteps()
            + " steps needs '" + name + "' in the state's history, which has " + from.history().keySet());
      }
      return null;
    }
    if (!Arrays.equals(t.shape(), from.latent().shape())) {
      throw new IllegalArgumentException("'" + name + "' has shape " + Arrays.toString(t.shape())
          + ", the latent " + Arrays.toString(from.latent().shape()));
    }
    return t.data();
  }

  private static SamplerState state(int completed, int[] shape, float[] latent, float[] lastSample,
      float[] x0Previous, float[] x0BeforePrevious) {
    Map<String, FloatTensor> history = new HashMap<>();
    history.put(LAST_SAMPLE, new FloatTensor(shape, lastSample));
    history.put(X0_PREVIOUS, new FloatTensor(shape, x0Previous));
    if (x0BeforePrevious != null) {
      history.put(X0_BEFORE_PREVIOUS, new FloatTensor(shape, x0BeforePrevious));
    }
    return new SamplerState(completed, new FloatTensor(shape, latent), history);
  }
}
