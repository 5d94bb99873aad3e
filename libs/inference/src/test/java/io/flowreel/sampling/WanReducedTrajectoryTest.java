package io.flowreel.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.pack.PackManifest.SamplerDefaults;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.LongTensor;
import io.flowreel.tensor.SafeTensors;
import io.flowreel.tensor.Tensor;
import io.flowreel.testing.WanPack;
import io.flowreel.text.TextConditioning;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The pack's sampler driving the reduced pack's ONNX DiT with guidance, against the official Wan2.1
 * sampling loop (text2video.py: official WanModel, cond and uncond contexts, FlowUniPCMultistepScheduler)
 * on the release the pack was exported from, recorded by tools/wan/pipeline_reference.py from a
 * seed-independent initial latent and fixed text contexts.
 */
class WanReducedTrajectoryTest {

  /**
   * Of the step's largest latent magnitude, ~10x the worst measured. ONNX Runtime's and PyTorch's
   * kernels differ slightly per DiT call, and guidance (x5) and the solver carry that along:
   * measured 8e-7 after the first of 4 steps, growing
   * to 3.7e-6 after the fourth (large sigma steps carry more of the velocity's error) and 1.1e-6
   * over 50 steps. A wrong solver, shift or guidance misses by more than 0.1.
   */
  private static final double TOLERANCE = 4e-5;
  private static final String TEXT_INPUT = "umt5_tokens";
  private static final int TEXT_LENGTH = 512;

  private static Map<String, Tensor> reference;
  private static FloatTensor initial;
  private static SamplerDefaults defaults;
  private static VelocityField guided;
  private static VelocityField unguided;

  @BeforeAll
  static void setUp() throws IOException {
    try (InputStream in = WanReducedTrajectoryTest.class.getResourceAsStream("/sampling/wan_reduced_trajectory.safetensors")) {
      reference = SafeTensors.read(in);
    }
    FloatTensor latent = (FloatTensor) reference.get("initial_latent");
    initial = latent.reshape(prepend(1, latent.shape()));
    defaults = WanPack.get().manifest().sampler();
    TextConditioning cond = padded((FloatTensor) reference.get("context.cond"));
    TextConditioning uncond = padded((FloatTensor) reference.get("context.uncond"));
    var dit = OnnxRuntimeEngine.forPack(WanPack.get()).network(WanPack.get().manifest().dit().network());
    guided = new GuidedDit(dit, defaults.guidance(), cond, uncond);
    unguided = new GuidedDit(dit, 1.0, cond, null);
  }

  @ParameterizedTest
  @CsvSource({"steps4, 4", "steps50, 50"})
  void thePacksSamplerFollowsTheOfficialPipeline(String name, int steps) {
    // The pack chooses the solver, shift and guidance; 50 steps is also its default.
    assertThat(defaults.solver()).isEqualTo(LatentSampler.UNIPC);
    assertThat(defaults.steps()).isEqualTo(50);
    List<Float> fed = new ArrayList<>();
    VelocityField recording = (x, t) -> {
      fed.add(t);
      return guided.velocity(x, t);
    };
    List<FloatTensor> latents = run(LatentSampler.of(defaults.solver(), steps, defaults.shift()), recording);

    long[] timesteps = ((LongTensor) reference.get(name + ".timesteps")).data();
    assertThat(fed).hasSize(steps);
    for (int i = 0; i < steps; i++) {
      assertThat(fed.get(i)).as("timestep of step %d", i).isEqualTo((float) timesteps[i]);
    }
    double worst = 0;
    double worstAbs = 0;
    for (int i = 0; i < steps; i++) {
      FloatTensor want = expected(name, i);
      double abs = latents.get(i).maxAbsDifference(want);
      double relative = abs / scale(want);
      worst = Math.max(worst, relative);
      worstAbs = Math.max(worstAbs, abs);
      assertThat(relative).as("%s: latent after step %d", name, i + 1).isLessThan(TOLERANCE);
    }
    // Not trivial: the latent travels far from the initial one, by more than 1000 tolerances.
    FloatTensor last = expected(name, steps - 1);
    assertThat(last.maxAbsDifference(flat(initial)) / scale(last)).isGreaterThan(1000 * TOLERANCE);
    System.out.printf("%s: largest difference from the official trajectory %.3g (%.3g of the latent's magnitude)%n",
        name, worstAbs, worst);
  }

  /** The comparison tells settings apart: each wrong one leaves the reference by > 100 tolerances. */
  @Test
  void wrongSettingsFailTheComparison() {
    FlowUniPcSchedule schedule = FlowUniPcSchedule.of(4, defaults.shift());
    Map<String, List<FloatTensor>> wrong = Map.of(
        "shift 3", run(new FlowUniPcSampler(4, 3.0), guided),
        "guidance 1", run(new FlowUniPcSampler(4, defaults.shift()), unguided),
        "Euler on UniPC's timesteps", euler(schedule, guided));
    wrong.forEach((setting, latents) -> {
      double worst = 0;
      for (int i = 0; i < 4; i++) {
        FloatTensor want = expected("steps4", i);
        worst = Math.max(worst, latents.get(i).maxAbsDifference(want) / scale(want));
      }
      System.out.printf("steps4 with %s: %.3g of the latent's magnitude from the official trajectory%n", setting, worst);
      assertThat(worst).as(setting).isGreaterThan(100 * TOLERANCE);
    });
  }

  private static List<FloatTensor> run(LatentSampler sampler, VelocityField field) {
    List<FloatTensor> latents = new ArrayList<>();
    sampler.sample(SamplerState.initial(initial.copy()), field, (n, s) -> latents.add(flat(s.latent().copy())), () -> false);
    return latents;
  }

  /** First-order steps between the same sigmas, with the same timesteps given to the DiT. */
  private static List<FloatTensor> euler(FlowUniPcSchedule schedule, VelocityField field) {
    List<FloatTensor> latents = new ArrayList<>();
    FloatTensor x = initial.copy();
    for (int k = 0; k < schedule.steps(); k++) {
      float[] v = field.velocity(x, schedule.timesteps()[k]).data();
      for (int j = 0; j < v.length; j++) {
        x.data()[j] += (schedule.sigmas()[k + 1] - schedule.sigmas()[k]) * v[j];
      }
      latents.add(flat(x.copy()));
    }
    return latents;
  }

  private static FloatTensor expected(String name, int step) {
    FloatTensor all = (FloatTensor) reference.get(name + ".latents");
    return all.slice(step);
  }

  /** [1, C, T, H, W] as the reference stores it, [C, T, H, W]. */
  private static FloatTensor flat(FloatTensor batched) {
    int[] shape = batched.shape();
    return batched.reshape(Arrays.copyOfRange(shape, 1, shape.length));
  }

  private static double scale(FloatTensor t) {
    double max = 0;
    for (float v : t.data()) {
      max = Math.max(max, Math.abs(v));
    }
    return max;
  }

  /** umT5's output of length L, zero-padded to the DiT's 512 rows, batch 1: as WanModel pads it. */
  private static TextConditioning padded(FloatTensor context) {
    int length = context.dim(0);
    int width = context.dim(1);
    float[] rows = new float[TEXT_LENGTH * width];
    System.arraycopy(context.data(), 0, rows, 0, length * width);
    return new TextConditioning(Map.of(TEXT_INPUT, new FloatTensor(new int[] {1, TEXT_LENGTH, width}, rows)));
  }

  private static int[] prepend(int first, int[] rest) {
    int[] out = new int[rest.length + 1];
    out[0] = first;
    System.arraycopy(rest, 0, out, 1, rest.length);
    return out;
  }
}
