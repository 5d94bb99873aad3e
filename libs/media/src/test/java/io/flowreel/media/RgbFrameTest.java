package io.flowreel.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RgbFrameTest {

  @Test
  void lengthMustMatchSize() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new RgbFrame(4, 3, new byte[35]));
    assertTrue(e.getMessage().contains("36"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new RgbFrame(0, 3, new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> new RgbFrame(4, 3, null));
  }

  @Test
  void equalityComparesPixels() {
    assertEquals(new RgbFrame(2, 1, new byte[] {1, 2, 3, 4, 5, 6}), new RgbFrame(2, 1, new byte[] {1, 2, 3, 4, 5, 6}));
    assertNotEquals(new RgbFrame(2, 1, new byte[6]), new RgbFrame(1, 2, new byte[6]));
  }
}
