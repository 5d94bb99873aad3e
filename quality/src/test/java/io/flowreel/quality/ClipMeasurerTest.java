package io.flowreel.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.flowreel.media.Mp4Reader;
import io.flowreel.media.Mp4Writer;
import io.flowreel.media.RgbFrame;
import io.flowreel.quality.SyntheticClips.Scene;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ClipMeasurerTest {

  private static final World WORLD = SyntheticClips.world();
  private static final ClipMeasurer MEASURER = new ClipMeasurer(WORLD);
  private static final Map<String, Double> IDEAL_FILL = Map.of("triangle", 0.5, "circle", Math.PI / 4, "square", 1.0);

  @TempDir
  Path dir;

  /** Every shape with every motion; colours and backgrounds rotate through the palette. */
  static Stream<Arguments> scenes() {
    List<String> colours = List.copyOf(WORLD.objectColours().keySet());
    List<String> backgrounds = List.copyOf(WORLD.backgroundColours().keySet());
    List<Arguments> scenes = new ArrayList<>();
    int i = 0;
    for (String shape : WORLD.shapes()) {
      for (String motion : WORLD.motions()) {
        String colour = colours.get(i % colours.size());
        String background = backgrounds.get((i * 3 + 1) % backgrounds.size());
        if (background.equals(colour)) {
          background = backgrounds.get((i * 3 + 2) % backgrounds.size());
        }
        scenes.add(Arguments.of(colour, shape, motion, background));
        i++;
      }
    }
    return scenes.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2} on {3}")
  @MethodSource("scenes")
  void recoversWhatWasDrawn(String colour, String shape, String motion, String background) {
    Measurement m = MEASURER.measure(SyntheticClips.draw(WORLD, SyntheticClips.scene(colour, shape, motion,
        background)));

    assertThat(m.objectFound()).isTrue();
    assertThat(List.of(m.colour(), m.shape(), m.motion(), m.background()))
        .containsExactly(colour, shape, motion, background);
    assertThat(m.object().fillRatio()).isCloseTo(IDEAL_FILL.get(shape), within(0.05));
    double travel = motion.equals("still") ? 0 : SyntheticClips.SPEED * (SyntheticClips.FRAMES - 1);
    assertThat(Math.hypot(m.object().dx(), m.object().dy())).isCloseTo(travel, within(0.01));
    assertThat(m.object().usableFrames()).isEqualTo(SyntheticClips.FRAMES);
  }

  @Test
  void namesEveryObjectColourOnEveryOtherBackground() {
    for (String colour : WORLD.objectColours().keySet()) {
      for (String background : WORLD.backgroundColours().keySet()) {
        if (colour.equals(background)) {
          continue; // the world never draws an object on a background of its own colour
        }
        Scene scene = SyntheticClips.scene(colour, "circle", "still", background);
        Measurement m = MEASURER.measure(SyntheticClips.draw(WORLD, scene, 128, 3));
        assertThat(m.colour()).as("%s on %s", colour, background).isEqualTo(colour);
        assertThat(m.background()).as("%s on %s", colour, background).isEqualTo(background);
        int[] drawn = WORLD.objectColours().get(colour);
        assertThat(m.object().rgb().distanceTo(drawn)).as("inner pixels are the flat colour").isLessThan(1.0);
      }
    }
  }

  @Test
  void measurementSurvivesH264() throws IOException {
    // The closest pairs: green on gray has the least contrast, blue and purple are the closest object colours.
    List<Scene> scenes = List.of(
        SyntheticClips.scene("green", "triangle", "up", "gray"),
        SyntheticClips.scene("purple", "square", "left", "blue"),
        SyntheticClips.scene("blue", "circle", "down", "purple"),
        SyntheticClips.scene("white", "circle", "still", "yellow"));
    for (Scene scene : scenes) {
      List<RgbFrame> frames = SyntheticClips.draw(WORLD, scene);
      Path mp4 = dir.resolve(scene.colour() + "-" + scene.shape() + ".mp4");
      try (Mp4Writer writer = new Mp4Writer(mp4, SyntheticClips.SIZE, SyntheticClips.SIZE, 8)) {
        for (RgbFrame frame : frames) {
          writer.write(frame);
        }
      }
      Measurement raw = MEASURER.measure(frames);
      Measurement decoded = MEASURER.measure(Mp4Reader.readAll(mp4));
      System.out.printf("%s: raw %s, after H.264 %s%n", scene, raw.object(), decoded.object());

      assertThat(List.of(decoded.colour(), decoded.shape(), decoded.motion(), decoded.background()))
          .as(scene.toString()).containsExactly(raw.colour(), raw.shape(), raw.motion(), raw.background());
      assertThat(decoded.object().dx()).isCloseTo(raw.object().dx(), within(0.005));
      assertThat(decoded.object().dy()).isCloseTo(raw.object().dy(), within(0.005));
      assertThat(decoded.object().fillRatio()).isCloseTo(raw.object().fillRatio(), within(0.03));
      assertThat(decoded.object().rgb().distanceTo(WORLD.objectColours().get(scene.colour()))).isLessThan(12.0);
    }
  }

  @Test
  void onlyBackgroundIsNoObject() {
    int[] gray = WORLD.backgroundColours().get("gray");
    Measurement m = MEASURER.measure(List.of(SyntheticClips.plain(gray, 64), SyntheticClips.plain(gray, 64)));

    assertThat(m.objectFound()).isFalse();
    assertThat(m.object()).isNull();
    assertThat(List.of(m.colour(), m.shape(), m.motion())).containsOnly(Measurement.NONE);
    assertThat(m.background()).isEqualTo("gray");
    assertThat(m.frames()).isEqualTo(2);
  }

  @Test
  void specksAreNotObjects() {
    // 4 x 4 = 16 pixels of a 256 x 256 frame: 0.02%, below the 0.3% an object needs.
    Scene scene = SyntheticClips.scene("red", "square", "right", "black");
    List<RgbFrame> clean = SyntheticClips.draw(WORLD, scene);
    List<RgbFrame> speckled = clean.stream().map(f -> withSpeck(f, 20, 200)).toList();
    int[] black = WORLD.backgroundColours().get("black");

    assertThat(MEASURER.measure(List.of(withSpeck(SyntheticClips.plain(black, 256), 20, 200))).objectFound())
        .isFalse();
    Measurement withSpeck = MEASURER.measure(speckled);
    Measurement without = MEASURER.measure(clean);
    assertThat(withSpeck.object().dx()).isEqualTo(without.object().dx());
    assertThat(withSpeck.object().fillRatio()).isEqualTo(without.object().fillRatio());
  }

  @Test
  void aShapeCutByTheFrameEdgeDoesNotDecideTheShape() {
    // Cut by the top edge, the triangle's lower part is a trapezoid with a circle's fill ratio (about 0.78);
    // it shows so in 10 of the 17 frames, which would carry the median.
    Scene cut = new Scene("blue", "yellow", "triangle", 0.11, 0.5, 0.02, 0, 0);
    Scene whole = new Scene("blue", "yellow", "triangle", 0.11, 0.5, 0.5, 0, 0);
    List<RgbFrame> frames = new ArrayList<>(SyntheticClips.draw(WORLD, cut, SyntheticClips.SIZE, 10));
    frames.addAll(SyntheticClips.draw(WORLD, whole, SyntheticClips.SIZE, 7));
    Measurement m = MEASURER.measure(frames);

    assertThat(m.shape()).isEqualTo("triangle");
    assertThat(m.object().usableFrames()).as("cut frames still count for colour and motion").isEqualTo(17);
    assertThat(m.motion()).isEqualTo("down");
    assertThat(MEASURER.measure(frames.subList(0, 10)).shape()).as("only cut frames: their own ratio")
        .isEqualTo("circle");
  }

  @Test
  void noiseOfARenderDoesNotChangeTheNames() {
    Scene scene = SyntheticClips.scene("purple", "triangle", "right", "gray");
    Random random = new Random(7);
    List<RgbFrame> noisy = new ArrayList<>();
    for (RgbFrame frame : SyntheticClips.draw(WORLD, scene)) {
      byte[] rgb = frame.rgb().clone();
      for (int i = 0; i < rgb.length; i++) {
        rgb[i] = (byte) Math.max(0, Math.min(255, (rgb[i] & 0xff) + random.nextInt(41) - 20));
      }
      noisy.add(new RgbFrame(frame.width(), frame.height(), rgb));
    }
    Measurement m = MEASURER.measure(noisy);

    assertThat(List.of(m.colour(), m.shape(), m.motion(), m.background()))
        .containsExactly("purple", "triangle", "right", "gray");
  }

  @Test
  void smallDisplacementIsStill() {
    // Whole clips just either side of the 6% threshold.
    Scene slow = new Scene("gray", "red", "circle", 0.1, 0.4, 0.5, 0.05 / 16, 0);
    Scene fast = new Scene("gray", "red", "circle", 0.1, 0.4, 0.5, 0.07 / 16, 0);
    Scene rising = new Scene("gray", "red", "circle", 0.1, 0.5, 0.6, 0, -0.07 / 16);

    assertThat(MEASURER.measure(SyntheticClips.draw(WORLD, slow)).motion()).isEqualTo("still");
    assertThat(MEASURER.measure(SyntheticClips.draw(WORLD, fast)).motion()).isEqualTo("right");
    assertThat(MEASURER.measure(SyntheticClips.draw(WORLD, rising)).motion()).isEqualTo("up");
  }

  @Test
  void motionThresholds() {
    assertThat(ClipMeasurer.motionFor(0, 0)).isEqualTo("still");
    assertThat(ClipMeasurer.motionFor(0.059, 0)).isEqualTo("still");
    assertThat(ClipMeasurer.motionFor(0.04, -0.04)).as("diagonal, |d| 0.057").isEqualTo("still");
    assertThat(ClipMeasurer.motionFor(0.061, 0)).isEqualTo("right");
    assertThat(ClipMeasurer.motionFor(-0.061, 0)).isEqualTo("left");
    assertThat(ClipMeasurer.motionFor(0, -0.061)).as("image y grows downwards").isEqualTo("up");
    assertThat(ClipMeasurer.motionFor(0, 0.061)).isEqualTo("down");
    assertThat(ClipMeasurer.motionFor(0.05, -0.2)).as("the larger axis wins").isEqualTo("up");
    assertThat(ClipMeasurer.motionFor(-0.25, 0.1)).isEqualTo("left");
  }

  @Test
  void shapeThresholds() {
    assertThat(ClipMeasurer.shapeFor(0.5)).isEqualTo("triangle");
    assertThat(ClipMeasurer.shapeFor(0.639)).isEqualTo("triangle");
    assertThat(ClipMeasurer.shapeFor(0.641)).isEqualTo("circle");
    assertThat(ClipMeasurer.shapeFor(Math.PI / 4)).isEqualTo("circle");
    assertThat(ClipMeasurer.shapeFor(0.889)).isEqualTo("circle");
    assertThat(ClipMeasurer.shapeFor(0.891)).isEqualTo("square");
    assertThat(ClipMeasurer.shapeFor(1.0)).isEqualTo("square");
  }

  @Test
  void rejectsWhatItCannotMeasure() {
    assertThatThrownBy(() -> MEASURER.measure(List.of())).isInstanceOf(IllegalArgumentException.class);
    int[] gray = WORLD.backgroundColours().get("gray");
    assertThatThrownBy(() -> MEASURER.measure(List.of(SyntheticClips.plain(gray, 64), SyntheticClips.plain(gray, 32))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32x32");
  }

  private static RgbFrame withSpeck(RgbFrame frame, int at, int value) {
    byte[] rgb = frame.rgb().clone();
    for (int y = at; y < at + 4; y++) {
      for (int x = at; x < at + 4; x++) {
        int i = (y * frame.width() + x) * 3;
        rgb[i] = rgb[i + 1] = rgb[i + 2] = (byte) value;
      }
    }
    return new RgbFrame(frame.width(), frame.height(), rgb);
  }
}
