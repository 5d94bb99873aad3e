package io.flowreel.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PixelsTest {

  @Test
  void everyByteSurvivesTheTripToFloatAndBack() {
    for (int b = 0; b < 256; b++) {
      assertThat(Pixels.toByte(Pixels.toFloat(b))).as("byte %d", b).isEqualTo(b);
    }
  }

  @Test
  void outOfRangeValuesAreClampedAndTheEndsMapToZeroAndFull() {
    assertThat(Pixels.toByte(-1.7f)).isZero();
    assertThat(Pixels.toByte(-1f)).isZero();
    assertThat(Pixels.toByte(0f)).isEqualTo(128);
    assertThat(Pixels.toByte(1f)).isEqualTo(255);
    assertThat(Pixels.toByte(3f)).isEqualTo(255);
  }

  @Test
  void dequantizedFramesAreWithinHalfAStepOfTheClampedOriginals() {
    Random random = new Random(7);
    float[] data = new float[2 * 3 * 5 * 4];
    for (int i = 0; i < data.length; i++) {
      data[i] = random.nextFloat() * 2.4f - 1.2f;
    }
    ByteTensor bytes = Pixels.quantize(new FloatTensor(new int[] {2, 3, 5, 4}, data));
    assertThat(bytes.shape()).containsExactly(2, 3, 5, 4);
    FloatTensor second = Pixels.dequantize(bytes, 1, 2);
    assertThat(second.shape()).containsExactly(1, 3, 5, 4);
    for (int i = 0; i < second.data().length; i++) {
      float clamped = Math.max(-1f, Math.min(1f, data[60 + i]));
      assertThat(Math.abs(second.data()[i] - clamped)).isLessThanOrEqualTo(0.5f / 127.5f + 1e-6f);
    }
  }
}
