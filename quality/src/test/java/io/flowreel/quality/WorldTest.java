package io.flowreel.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorldTest {

  private static final World WORLD = SyntheticClips.world();

  @TempDir
  Path dir;

  @Test
  void readsTheRepositorysWorld() {
    assertThat(WORLD.objectColours().keySet()).containsExactly("red", "green", "blue", "yellow", "white", "purple");
    assertThat(WORLD.objectColours().get("red")).containsExactly(225, 35, 35);
    assertThat(WORLD.backgroundColours()).hasSize(8).containsKeys("black", "gray");
    assertThat(WORLD.shapes()).containsExactlyInAnyOrder("circle", "square", "triangle");
    assertThat(WORLD.motions()).containsExactlyInAnyOrder("left", "right", "up", "down", "still");
  }

  /**
   * The mask threshold rests on this: every object the world draws differs from its background by well
   * over {@link ClipMeasurer#OBJECT_DIFFERENCE} in some channel. A palette change that breaks it needs a
   * new threshold.
   */
  @Test
  void everyObjectStandsOutFromEveryOtherBackground() {
    int margin = 20;
    WORLD.objectColours().forEach((object, o) -> WORLD.backgroundColours().forEach((background, b) -> {
      if (!object.equals(background)) {
        int difference = Math.max(Math.abs(o[0] - b[0]), Math.max(Math.abs(o[1] - b[1]), Math.abs(o[2] - b[2])));
        assertThat(difference).as("%s object on %s background", object, background)
            .isGreaterThan(ClipMeasurer.OBJECT_DIFFERENCE + margin);
      }
    }));
  }

  @Test
  void namesTheNearestColour() {
    assertThat(WORLD.nearestObjectColour(new Rgb(200, 60, 50))).isEqualTo("red");
    assertThat(WORLD.nearestObjectColour(new Rgb(120, 70, 225))).as("between blue and purple, nearer purple")
        .isEqualTo("purple");
    assertThat(WORLD.nearestBackground(new Rgb(30, 30, 30))).isEqualTo("black");
    assertThat(WORLD.nearestBackground(new Rgb(110, 115, 118))).isEqualTo("gray");
  }

  @Test
  void rejectsAPaletteOutOfRange() throws IOException {
    Path file = dir.resolve("world.json");
    Files.writeString(file, """
        {"objectColours": {"red": [300, 0, 0]}, "backgroundColours": {"black": [0, 0, 0]},
         "shapes": ["circle"], "motions": ["still"]}""");
    assertThatThrownBy(() -> World.load(file)).hasMessageContaining("objectColours.red");
  }

  @Test
  void theMeasurerRefusesAWorldWithOtherShapes() {
    World hexagons = new World(Map.of("red", new int[] {225, 35, 35}), Map.of("black", new int[] {0, 0, 0}),
        List.of("circle", "hexagon"), WORLD.motions());
    assertThatThrownBy(() -> new ClipMeasurer(hexagons)).hasMessageContaining("hexagon");
  }
}
