package io.flowreel.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.tensor.FloatTensor;
import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

class NoiseGeneratorTest {

  /** Known-answer vectors of Random123 (kat_vectors) for Philox4x32-10. */
  @Test
  void philoxMatchesTheReferenceVectors() {
    assertThat(NoiseGenerator.philox(new int[] {0, 0, 0, 0}, 0, 0))
        .containsExactly(0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
    assertThat(NoiseGenerator.philox(new int[] {-1, -1, -1, -1}, -1, -1))
        .containsExactly(0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd);
    assertThat(NoiseGenerator.philox(new int[] {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
        0xa4093822, 0x299f31d0))
        .containsExactly(0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1);
  }

  @Test
  void sameSeedGivesBitIdenticalNoise() {
    FloatTensor a = NoiseGenerator.gaussian(42, 0, 8, 5, 16, 16);
    FloatTensor b = NoiseGenerator.gaussian(42, 0, 8, 5, 16, 16);
    assertThat(a.data()).containsExactly(b.data());
  }

  @Test
  void noiseDoesNotDependOnTheThreadCount() throws Exception {
    FloatTensor parallel = NoiseGenerator.gaussian(7, 0, 8, 4, 16, 16);
    FloatTensor single = new ForkJoinPool(1).submit(() -> NoiseGenerator.gaussian(7, 0, 8, 4, 16, 16)).get();
    assertThat(single.data()).containsExactly(parallel.data());
  }

  @Test
  void aLongerDrawStartsWithTheShorterOne() {
    float[] shorter = NoiseGenerator.gaussian(3, 0, 1001).data();
    float[] longer = NoiseGenerator.gaussian(3, 0, 5000).data();
    assertThat(Arrays.copyOf(longer, shorter.length)).containsExactly(shorter);
  }

  @Test
  void seedsAndStreamsGiveDifferentNoise() {
    float[] base = NoiseGenerator.gaussian(1, 0, 64).data();
    assertThat(NoiseGenerator.gaussian(2, 0, 64).data()).isNotEqualTo(base);
    assertThat(NoiseGenerator.gaussian(1, 1, 64).data()).isNotEqualTo(base);
    assertThat(NoiseGenerator.gaussian(1L << 40, 0, 64).data()).isNotEqualTo(base);
  }

  @Test
  void valuesAreStandardNormal() {
    float[] x = NoiseGenerator.gaussian(11, 0, 200_000).data();
    double mean = 0;
    double square = 0;
    int beyond3 = 0;
    for (float v : x) {
      mean += v;
      square += v * v;
      beyond3 += Math.abs(v) > 3 ? 1 : 0;
    }
    mean /= x.length;
    double variance = square / x.length - mean * mean;
    assertThat(mean).isBetween(-0.01, 0.01);
    assertThat(variance).isBetween(0.98, 1.02);
    assertThat(beyond3 / (double) x.length).isBetween(0.0020, 0.0034); // 0.27% for a normal
  }
}
