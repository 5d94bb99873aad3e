package io.flowreel.tiling;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.tiling.TilePlan.Tile;
import java.util.List;
import org.junit.jupiter.api.Test;

class TilePlanTest {

  @Test
  void coversTheAxisWithTheLastTileClampedToTheEnd() {
    assertThat(TilePlan.along(20, 8, 2)).containsExactly(new Tile(0, 8), new Tile(6, 8), new Tile(12, 8));
    assertThat(TilePlan.along(21, 8, 2)).containsExactly(new Tile(0, 8), new Tile(6, 8), new Tile(12, 8),
        new Tile(13, 8));
    assertThat(TilePlan.along(5, 8, 2)).containsExactly(new Tile(0, 5));
  }

  @Test
  void rampsOfNeighboursSumToOneAcrossAnEvenOverlap() {
    List<Tile> tiles = TilePlan.along(20, 8, 2);
    float[] left = TilePlan.ramp(tiles.get(0), 20, 2, 0, 4);
    float[] right = TilePlan.ramp(tiles.get(1), 20, 2, 0, 4);
    assertThat(left[0]).isEqualTo(1f); // the image border needs no ramp
    for (int i = 0; i < 8; i++) { // tile 1 starts 24 output pixels into tile 0
      assertThat(left[24 + i] + right[i]).isEqualTo(1f);
    }
  }
}
