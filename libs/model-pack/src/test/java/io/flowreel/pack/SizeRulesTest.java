package io.flowreel.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class SizeRulesTest {

  private final SizeRules rules = fixture();

  @Test
  void validRequestGivesTheLatentGeometry() {
    SizeRules.Geometry g = rules.resolve(256, 192, 17, true);
    assertThat(g.latentFrames()).isEqualTo(5);
    assertThat(g.latentHeight()).isEqualTo(12);
    assertThat(g.latentWidth()).isEqualTo(16);
    assertThat(g.decodedHeight()).isEqualTo(96);
    assertThat(g.decodedWidth()).isEqualTo(128);
  }

  @Test
  void withoutUpsamplingTheMultipleIsSmaller() {
    assertThat(rules.pixelMultiple(false, 2)).isEqualTo(16);
    SizeRules.Geometry g = rules.resolve(48, 64, 1, false);
    assertThat(g.latentWidth()).isEqualTo(6);
    assertThat(g.decodedWidth()).isEqualTo(48);
  }

  @Test
  void invalidWidthNamesTheNearestValidSizes() {
    assertThatThrownBy(() -> rules.resolve(250, 256, 17, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("width 250 is not valid for pack fixture: it must be a multiple of 32")
        .hasMessageContaining("nearest valid: 224 or 256");
  }

  @Test
  void tooLargeSizeNamesTheLargest() {
    assertThatThrownBy(() -> rules.resolve(256, 4096, 17, true))
        .hasMessageContaining("height 4096")
        .hasMessageContaining("between 32 and 512 (nearest valid: 512)");
  }

  @Test
  void frameCountTheDecoderCannotProduceIsRefused() {
    assertThatThrownBy(() -> rules.resolve(256, 256, 16, true))
        .hasMessageContaining("frames 16 is not valid")
        .hasMessageContaining("1 + 4k frames, from 1 to 61 (nearest valid: 13 or 17)");
    assertThatThrownBy(() -> rules.resolve(256, 256, 0, true)).hasMessageContaining("nearest valid: 1");
  }

  @Test
  void allProblemsAreReportedAtOnce() {
    assertThatThrownBy(() -> rules.resolve(100, 100, 2, true))
        .hasMessageContaining("width 100")
        .hasMessageContaining("height 100")
        .hasMessageContaining("frames 2");
  }

  @Test
  void sizesAtTheEdgesOfIntNameTheNearestValidWithoutWrappingAround() {
    assertThatThrownBy(() -> rules.resolve(Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE, true))
        .hasMessageContaining("width 2147483647 is not valid for pack fixture: it must be a multiple of 32 between 32 "
            + "and 512 (nearest valid: 512)")
        .hasMessageContaining("height -2147483648 is not valid for pack fixture: it must be a multiple of 32 between "
            + "32 and 512 (nearest valid: 32)")
        .hasMessageContaining("frames -2147483648 is not valid for pack fixture: the decoder produces 1 + 4k frames, "
            + "from 1 to 61 (nearest valid: 1)");
    assertThatThrownBy(() -> rules.resolve(256, 256, Integer.MAX_VALUE, true)).hasMessageContaining("nearest valid: 61");
  }

  private static SizeRules fixture() {
    try (InputStream in = SizeRulesTest.class.getResourceAsStream("/fixture-pack.json")) {
      return new SizeRules(new ObjectMapper().readValue(in, PackManifest.class));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
