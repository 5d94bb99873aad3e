package io.flowreel.infra;

import java.nio.file.Path;

/** Data dirs under target/, emptied before use and kept after, so a failed test leaves the servers' logs behind. */
final class TestDirs {

  private TestDirs() {}

  static Path fresh(String name) {
    return DataDirs.fresh(Path.of("target", "it-data", name));
  }

  /** No process that this JVM started is still running. */
  static boolean noChildAlive() {
    return ProcessHandle.current().children().noneMatch(ProcessHandle::isAlive);
  }

  static boolean gone(long pid) {
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty();
  }
}
