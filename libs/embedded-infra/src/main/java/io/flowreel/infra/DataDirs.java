package io.flowreel.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The data folders the embedded servers, services and their tests write: emptied before use, removed after. */
public final class DataDirs {

  private DataDirs() {}

  /** {@code dir} as an empty folder: what a previous run left there is deleted first. */
  public static Path fresh(Path dir) {
    Path absolute = dir.toAbsolutePath();
    delete(absolute);
    try {
      return Files.createDirectories(absolute);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + absolute, e);
    }
  }

  /** Deletes {@code dir} and everything in it; nothing happens if it does not exist. */
  public static void delete(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
