package io.flowreel.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.LongTensor;
import io.flowreel.tensor.SafeTensors;
import io.flowreel.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Java UniPC sampler against trajectories of the official Wan2.1 FlowUniPCMultistepScheduler,
 * recorded by tools/wan/sampler_reference.py with the analytic field {@link #FIELD} written there
 * identically.
 */
class FlowUniPcSamplerTest {

  private static final double TOLERANCE = 1e-5; // of the step's largest latent magnitude
  private static final int[] SHAPE = {16, 2, 4, 4};

  /** sampler_reference.py's velocity(): evaluated in float64 and rounded to float32, as there. */
  static final VelocityField FIELD = (x, timestep) -> {
    int channels = SHAPE[0];
    int positions = x.data().length / channels;
    double u = timestep / 1000.0;
    float[] v = new float[x.data().length];
    for (int c = 0; c < channels; c++) {
      for (int p = 0; p < positions; p++) {
        double mixed = 0;
        for (int d = 0; d < channels; d++) {
          mixed += 0.25 * Math.sin(1 + 3 * c + 7 * d) * x.data()[d * positions + p];
        }
        double own = x.data()[c * positions + p];
        v[c * positions + p] = (float) (Math.tanh(mixed) * (1 + u) + 0.9 * own
            - 0.3 * Math.cos(0.5 + c + 0.1 * p) * (1 - u));
      }
    }
    return new FloatTensor(x.shape(), v);
  };

  private static Map<String, Tensor> reference;

  @BeforeAll
  static void readReference() throws IOException {
    try (InputStream in = FlowUniPcSamplerTest.class.getResourceAsStream("/sampling/wan_unipc_trajectories.safetensors")) {
      reference = SafeTensors.read(in);
    }
  }

  @ParameterizedTest
  @CsvSource({"steps50_shift5, 50, 5.0", "steps4_shift3, 4, 3.0", "steps2_shift5, 2, 5.0", "steps1_shift3, 1, 3.0"})
  void followsTheOfficialSchedulersTrajectory(String name, int steps, double shift) {
    FlowUniPcSampler sampler = new FlowUniPcSampler(steps, shift);
    assertThat(sampler.schedule().sigmas()).containsExactly(((FloatTensor) reference.get(name + ".sigmas")).data());

    List<Float> fed = new ArrayList<>();
    VelocityField recording = (x, t) -> {
      fed.add(t);
      return FIELD.velocity(x, t);
    };
    List<FloatTensor> latents = new ArrayList<>();
    FloatTensor initial = ((FloatTensor) reference.get("initial_latent")).copy();
    FloatTensor result = sampler.sample(SamplerState.initial(initial), recording,
        (total, state) -> latents.add(state.latent().copy()), () -> false);

    long[] timesteps = ((LongTensor) reference.get(name + ".timesteps")).data();
    assertThat(fed).hasSize(steps);
    for (int i = 0; i < steps; i++) {
      assertThat(fed.get(i)).as("timestep of step %d", i).isEqualTo((float) timesteps[i]);
    }
    FloatTensor expected = (FloatTensor) reference.get(name + ".latents");
    int size = initial.data().length;
    double worst = 0;
    for (int i = 0; i < steps; i++) {
      float[] want = Arrays.copyOfRange(expected.data(), i * size, (i + 1) * size);
      FloatTensor want1 = new FloatTensor(SHAPE, want);
      double scale = 0;
      for (float w : want) {
        scale = Math.max(scale, Math.abs(w));
      }
      double relative = latents.get(i).maxAbsDifference(want1) / scale;
      worst = Math.max(worst, relative);
      assertThat(relative).as("%s: latent after step %d", name, i + 1).isLessThan(TOLERANCE);
    }
    assertThat(result.data()).containsExactly(latents.get(steps - 1).data());
    System.out.printf("%s: largest difference from the official trajectory %.3g of the latent's magnitude%n", name, worst);
  }

  @Test
  void wanDefaultTimestepsAreTheTruncatedShiftedSigmas() {
    FlowUniPcSchedule schedule = FlowUniPcSchedule.of(50, 5.0);
    assertThat(schedule.timesteps()).startsWith(999, 995, 991, 987, 982).endsWith(302, 241, 172, 92);
    assertThat(schedule.sigmas()[0]).isEqualTo(0.9997998476028442f); // 0.999 shifted, not 1
    assertThat(schedule.sigmas()[50]).isZero();
  }

  @Test
  void refusesSchedulesThatTheReferenceCannotSample() {
    // 300 steps with shift 5 start 999, 999: the reference starts at its second sigma and fails.
    assertThatThrownBy(() -> new FlowUniPcSampler(300, 5.0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timestep 999");
  }

  @ParameterizedTest
  @CsvSource({"1", "2", "20", "49", "50"})
  void resumingFromAStoredStateEqualsRunningStraightThrough(int stopAfter) {
    FlowUniPcSampler sampler = new FlowUniPcSampler(50, 5.0);
    FloatTensor initial = (FloatTensor) reference.get("initial_latent");
    FloatTensor straight = sampler.sample(SamplerState.initial(initial.copy()), FIELD, (n, s) -> {}, () -> false);

    AtomicReference<SamplerState> stored = new AtomicReference<>();
    sampler.sample(SamplerState.initial(initial.copy()), FIELD, (n, s) -> {
      if (s.completedSteps() == stopAfter) {
        stored.set(copy(s)); // what a checkpoint writes and reads back
      }
    }, () -> false);
    FloatTensor resumed = new FlowUniPcSampler(50, 5.0).sample(stored.get(), FIELD, (n, s) -> {}, () -> false);
    assertThat(resumed.data()).containsExactly(straight.data());
  }

  @Test
  void refusesToResumeWithoutTheHistory() {
    FloatTensor latent = FloatTensor.zeros(SHAPE);
    assertThatThrownBy(() -> new FlowUniPcSampler(50, 5.0).sample(new SamplerState(10, latent, Map.of()),
        FIELD, (n, s) -> {}, () -> false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(FlowUniPcSampler.LAST_SAMPLE);
    assertThatThrownBy(() -> new FlowMatchingSampler(50, 5.0).sample(
        new SamplerState(10, latent, Map.of(FlowUniPcSampler.LAST_SAMPLE, latent)), FIELD, (n, s) -> {}, () -> false))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void thePackChoosesTheSolverByName() {
    assertThat(LatentSampler.of(LatentSampler.UNIPC, 50, 5.0)).isInstanceOf(FlowUniPcSampler.class);
    assertThat(LatentSampler.of(LatentSampler.EULER, 8, 3.0)).isInstanceOf(FlowMatchingSampler.class);
    assertThatThrownBy(() -> LatentSampler.of("dpm++", 50, 5.0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void eulerThroughTheInterfaceIsTheEulerPath() {
    FloatTensor noise = NoiseGenerator.gaussian(7, 0, SHAPE);
    float[] times = FlowMatchingSchedule.times(8, 3.0);
    FloatTensor direct = noise.copy();
    for (int i = 0; i < 8; i++) {
      float[] v = FIELD.velocity(direct, times[i]).data();
      for (int j = 0; j < v.length; j++) {
        direct.data()[j] += (times[i + 1] - times[i]) * v[j];
      }
    }
    List<Integer> steps = new ArrayList<>();
    FloatTensor viaInterface = LatentSampler.of(LatentSampler.EULER, 8, 3.0)
        .sample(SamplerState.initial(noise.copy()), FIELD, (n, s) -> steps.add(s.completedSteps()), () -> false);
    assertThat(viaInterface.data()).containsExactly(direct.data());
    assertThat(steps).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
  }

  private static SamplerState copy(SamplerState state) {
    Map<String, FloatTensor> history = new HashMap<>();
    state.history().forEach((name, t) -> history.put(name, t.copy()));
    return new SamplerState(state.completedSteps(), state.latent().copy(), history);
  }
}
