package io.flowreel.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Data dirs under target/, emptied before use and kept after, so a failed test leaves the servers' logs behind. */
final class TestDirs {

  private TestDirs() {}

  static Path fresh(String name) throws IOException {
    Path dir = Path.of("target", "it-data", name).toAbsolutePath();
    if (Files.exists(dir)) {
      try (Stream<Path> paths = Files.walk(dir)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    return Files.createDirectories(dir);
  }

  /** No process that this JVM started is still running. */
  static boolean noChildAlive() {
    return ProcessHandle.current().children().noneMatch(ProcessHandle::isAlive);
  }

  static boolean gone(long pid) {
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty();
  }
}
