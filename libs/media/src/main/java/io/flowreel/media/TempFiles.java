package io.flowreel.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ThreadLocalRandom;

/** Writing through a hidden sibling file, so readers never see a half-written output. */
final class TempFiles {

  private TempFiles() {
  }

  /**
   * A not yet existing ".name.xxxx.partial" next to {@code target}: same directory so the final
   * move is a rename, random part so two writers aimed at one target do not collide.
   */
  static Path partialFor(Path target) {
    Path absolute = target.toAbsolutePath();
    String random = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
    return absolute.resolveSibling("." + absolute.getFileName() + "." + random + ".partial");
  }

  static void commit(Path partial, Path target) throws IOException {
    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  static void deleteQuietly(Path partial, Throwable cause) {
    try {
      Files.deleteIfExists(partial);
    } catch (IOException e) {
      if (cause != null) {
        cause.addSuppressed(e);
      }
    }
  }
}
