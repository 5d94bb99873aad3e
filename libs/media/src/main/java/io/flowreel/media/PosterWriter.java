package io.flowreel.media;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import javax.imageio.ImageIO;

/** Writes a single frame as a lossless PNG (the poster image shown before a video plays). */
public final class PosterWriter {

  private PosterWriter() {
  }

  /** Writes {@code frame} to {@code target}, replacing it atomically; never leaves a partial PNG. */
  public static void writePng(RgbFrame frame, Path target) throws IOException {
    BufferedImage image = new BufferedImage(frame.width(), frame.height(), BufferedImage.TYPE_3BYTE_BGR);
    byte[] bgr = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
    byte[] rgb = frame.rgb();
    for (int i = 0; i < rgb.length; i += 3) {
      bgr[i] = rgb[i + 2];
      bgr[i + 1] = rgb[i + 1];
      bgr[i + 2] = rgb[i];
    }

    Path partial = TempFiles.partialFor(target);
    try {
      try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW)) {
        // ImageIO reports a missing writer by returning false, not by throwing.
        if (!ImageIO.write(image, "png", out)) {
          throw new IOException("no PNG writer available in ImageIO");
        }
      }
      TempFiles.commit(partial, target);
    } catch (IOException | RuntimeException e) {
      TempFiles.deleteQuietly(partial, e);
      throw e;
    }
  }
}
