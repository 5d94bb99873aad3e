package io.flowreel.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShapeBucketsTest {

  private static final PackManifest FIXTURE = fixture();
  private final SizeRules rules = new SizeRules(FIXTURE);
  private final ShapeBuckets buckets = new ShapeBuckets(ShapeBuckets.parseList("256x256x17, 512x384x33"), FIXTURE);

  @Test
  void parsesAndPrintsTheSameForm() {
    assertThat(ShapeBucket.parse(" 256x192x17 ")).isEqualTo(new ShapeBucket(256, 192, 17));
    assertThat(new ShapeBucket(256, 192, 17)).hasToString("256x192x17");
    assertThat(ShapeBuckets.parseList("")).isEmpty();
    assertThat(buckets).hasToString("256x256x17,512x384x33");
    assertThatThrownBy(() -> ShapeBucket.parse("256x256")).hasMessageContaining("WIDTHxHEIGHTxFRAMES");
  }

  @Test
  void eachBucketHasItsLatentGeometry() {
    SizeRules.Geometry g = buckets.geometry(new ShapeBucket(512, 384, 33));
    assertThat(List.of(g.latentFrames(), g.latentHeight(), g.latentWidth())).containsExactly(9, 24, 32);
  }

  @Test
  void aJobFitsWhenItsLatentIsABucketsWithOrWithoutTheUpsampler() {
    assertThat(buckets.check(rules.resolve(256, 256, 17, true))).isEmpty();
    // Half the size without the upsampler: the same 16x16x5 latent as the 256x256x17 bucket.
    assertThat(buckets.find(rules.resolve(128, 128, 17, false))).contains(new ShapeBucket(256, 256, 17));
  }

  @Test
  void aJobOutsideEveryBucketIsToldTheValidSizes() {
    assertThat(buckets.check(rules.resolve(256, 256, 21, true))).hasValueSatisfying(problem -> assertThat(problem)
        .isEqualTo("size 256x256x21 is not one of the shapes this farm's GPU engines for pack fixture were built "
            + "for: use 256x256x17, 512x384x33 (128x128x17, 256x192x33 without upsampling)"));
    assertThat(buckets.check(rules.resolve(256, 256, 17, false))).hasValueSatisfying(problem -> assertThat(problem)
        .startsWith("size 256x256x17 without upsampling is not one of the shapes"));
  }

  @Test
  void aBucketThePackCannotRenderIsRefusedNamingIt() {
    assertThatThrownBy(() -> new ShapeBuckets(List.of(new ShapeBucket(250, 256, 17)), FIXTURE))
        .hasMessageStartingWith("shape bucket 250x256x17: width 250 is not valid for pack fixture");
    assertThatThrownBy(() -> new ShapeBuckets(List.of(), FIXTURE)).hasMessageContaining("at least one");
  }

  private static PackManifest fixture() {
    try (InputStream in = ShapeBucketsTest.class.getResourceAsStream("/fixture-pack.json")) {
      return new ObjectMapper().readValue(in, PackManifest.class);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
