package io.flowreel.media;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PosterWriterTest {

  @TempDir
  Path dir;

  @Test
  void pngRoundTripsExactly() throws IOException {
    // Odd size on purpose: PNG, unlike yuv420p, takes any size.
    RgbFrame frame = TestFrames.moving(127, 33, 4).get(3);
    Path png = dir.resolve("poster.png");
    PosterWriter.writePng(frame, png);

    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(127, image.getWidth());
    assertEquals(33, image.getHeight());
    byte[] rgb = new byte[127 * 33 * 3];
    for (int y = 0; y < 33; y++) {
      for (int x = 0; x < 127; x++) {
        int p = image.getRGB(x, y);
        int i = (y * 127 + x) * 3;
        rgb[i] = (byte) (p >> 16);
        rgb[i + 1] = (byte) (p >> 8);
        rgb[i + 2] = (byte) p;
      }
    }
    assertEquals(frame, new RgbFrame(127, 33, rgb));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(png), files.toList(), "no partial file left behind");
    }
  }
}
