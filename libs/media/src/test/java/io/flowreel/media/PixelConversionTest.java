package io.flowreel.media;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.tensor.ByteTensor;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Pixels;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PixelConversionTest {

  /** The bus publishes 8-bit frames; the local renderer publishes floats: both must give the same RGB. */
  @Test
  void quantizedFramesGiveTheSameRgbAsTheFloatsTheyCameFrom() {
    Random random = new Random(7);
    float[] data = new float[2 * 3 * 5 * 4];
    for (int i = 0; i < data.length; i++) {
      data[i] = random.nextFloat() * 2.4f - 1.2f;
    }
    FloatTensor frames = new FloatTensor(new int[] {2, 3, 5, 4}, data);
    ByteTensor bytes = Pixels.quantize(frames);
    for (int i = 0; i < 2; i++) {
      RgbFrame rgb = PixelConversion.toRgb(bytes, i);
      assertThat(rgb).isEqualTo(PixelConversion.toRgb(frames, i));
      assertThat(rgb.width()).isEqualTo(4);
      assertThat(rgb.height()).isEqualTo(5);
    }
    // interleaved: pixel (1, 0) of frame 0 is R, G, B from the three planes
    assertThat(PixelConversion.toRgb(bytes, 0).rgb()[3]).isEqualTo(bytes.data()[1]);
    assertThat(PixelConversion.toRgb(bytes, 0).rgb()[4]).isEqualTo(bytes.data()[20 + 1]);
  }
}
