package io.flowreel.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.flowreel.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class FlowMatchingSamplerTest {

  private static final LatentSampler.StateListener NONE = (n, state) -> {};

  @Test
  void scheduleRunsFromNoiseToDataAndShiftFavoursHighNoise() {
    float[] linear = FlowMatchingSchedule.times(4, 1.0);
    assertThat(linear).containsExactly(1f, 0.75f, 0.5f, 0.25f, 0f);
    float[] shifted = FlowMatchingSchedule.times(4, 3.0);
    assertThat(shifted[0]).isEqualTo(1f);
    assertThat(shifted[4]).isEqualTo(0f);
    assertThat(shifted[2]).isCloseTo(0.75f, within(1e-6f)); // 3 * 0.5 / (1 + 2 * 0.5)
    for (int i = 0; i < 4; i++) {
      assertThat(shifted[i + 1]).isLessThan(shifted[i]);
      assertThat(shifted[i + 1]).isGreaterThanOrEqualTo(linear[i + 1]);
    }
  }

  /**
   * For one data point x0 the exact flow-matching velocity is v(x, s) = (x - x0) / s: Euler steps
   * then stay on the straight path and must land on x0 whatever the schedule.
   */
  @Test
  void landsOnTheDataPointOfAnAnalyticField() {
    FloatTensor x0 = NoiseGenerator.gaussian(5, 1, 1, 4, 3, 6, 6);
    VelocityField exact = (x, s) -> {
      float[] v = new float[x.data().length];
      for (int i = 0; i < v.length; i++) {
        v[i] = (x.data()[i] - x0.data()[i]) / s;
      }
      return new FloatTensor(x.shape(), v);
    };
    for (double shift : new double[] {1.0, 3.0, 7.0}) {
      FloatTensor x = NoiseGenerator.gaussian(9, 0, 1, 4, 3, 6, 6);
      new FlowMatchingSampler(12, shift).sample(SamplerState.initial(x), exact, NONE, () -> false);
      assertThat(x.maxAbsDifference(x0)).as("shift %s", shift).isLessThan(1e-5f);
    }
  }

  @Test
  void constantVelocityMovesByExactlyMinusV() {
    FloatTensor x = FloatTensor.zeros(1, 2);
    new FlowMatchingSampler(7, 5.0).sample(SamplerState.initial(x),
        (l, s) -> new FloatTensor(new int[] {1, 2}, new float[] {2f, -1f}), NONE, () -> false);
    assertThat(x.data()[0]).isCloseTo(-2f, within(1e-6f));
    assertThat(x.data()[1]).isCloseTo(1f, within(1e-6f));
  }

  @Test
  void twoRunsWithOneSeedAreBitIdentical() {
    VelocityField nonlinear = (x, s) -> {
      float[] v = new float[x.data().length];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) Math.tanh(x.data()[i] * 1.7 + s) - 0.3f * x.data()[(i + 1) % v.length];
      }
      return new FloatTensor(x.shape(), v);
    };
    FloatTensor a = new FlowMatchingSampler(20, 3.0)
        .sample(SamplerState.initial(NoiseGenerator.gaussian(123, 0, 1, 8, 2, 4, 4)), nonlinear, NONE, () -> false);
    FloatTensor b = new FlowMatchingSampler(20, 3.0)
        .sample(SamplerState.initial(NoiseGenerator.gaussian(123, 0, 1, 8, 2, 4, 4)), nonlinear, NONE, () -> false);
    assertThat(a.data()).containsExactly(b.data());
  }

  @Test
  void resumingFromAStepEqualsRunningStraightThrough() {
    VelocityField field = (x, s) -> {
      float[] v = x.data().clone();
      for (int i = 0; i < v.length; i++) {
        v[i] = v[i] * s - 0.5f;
      }
      return new FloatTensor(x.shape(), v);
    };
    FlowMatchingSampler sampler = new FlowMatchingSampler(10, 3.0);
    FloatTensor straight = sampler.sample(SamplerState.initial(NoiseGenerator.gaussian(1, 0, 1, 16)), field, NONE,
        () -> false);
    List<FloatTensor> checkpoints = new ArrayList<>();
    sampler.sample(SamplerState.initial(NoiseGenerator.gaussian(1, 0, 1, 16)), field,
        (n, s) -> { if (s.completedSteps() == 4) checkpoints.add(s.latent().copy()); }, () -> false);
    FloatTensor resumed = sampler.sample(new SamplerState(4, checkpoints.get(0), Map.of()), field, NONE, () -> false);
    assertThat(resumed.data()).containsExactly(straight.data());
  }

  @Test
  void reportsEveryStepAndStopsWhenCancelled() {
    List<Integer> seen = new ArrayList<>();
    AtomicBoolean cancel = new AtomicBoolean();
    FlowMatchingSampler sampler = new FlowMatchingSampler(10, 3.0);
    assertThatThrownBy(() -> sampler.sample(SamplerState.initial(FloatTensor.zeros(1, 4)),
        (x, s) -> FloatTensor.zeros(1, 4), (n, state) -> {
          seen.add(state.completedSteps());
          if (state.completedSteps() == 3) {
            cancel.set(true);
          }
        }, cancel::get))
        .isInstanceOf(SamplingCancelledException.class)
        .hasMessage("cancelled after 3 denoising steps");
    assertThat(seen).containsExactly(1, 2, 3);
  }
}
