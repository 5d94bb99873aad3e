package io.flowreel.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The checkout that the servers' classpaths come from. The broker and S3Proxy are not on this module's
 * classpath (their dependencies clash with the services'); their standalone Maven modules write the
 * classpath of each server to {@code infra/<module>/target/classpath.txt} instead.
 */
public final class FlowreelHome {

  private static final String MARKER = "infra/kafka-broker";

  private FlowreelHome() {}

  /**
   * {@code -Dflowreel.home} (set by ./flowreel), else {@code -Dflowreel.repo} (set by the build for tests), else
   * the nearest folder above the working directory that holds {@code infra/kafka-broker}.
   */
  public static Path locate() {
    for (String property : new String[] {"flowreel.home", "flowreel.repo"}) {
      String value = System.getProperty(property);
      if (value != null && !value.isBlank() && Files.isDirectory(Path.of(value).resolve(MARKER))) {
        return Path.of(value).toAbsolutePath().normalize();
      }
    }
    Path start = Path.of("").toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve(MARKER))) {
        return dir;
      }
    }
    throw new IllegalStateException("cannot find the Flowreel checkout: no folder above " + start + " holds "
        + MARKER + "; run from inside the repository or set -Dflowreel.home=<repository>");
  }

  /** {@code infra/<module>/target}, e.g. module "kafka-broker": the server's build output. */
  static Path serverTarget(String module) {
    return locate().resolve("infra").resolve(module).resolve("target");
  }

  /** The runtime classpath that {@code infra/<module>}'s build wrote. */
  static String serverClasspath(String module) {
    Path file = serverTarget(module).resolve("classpath.txt");
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(file + " is missing: build it first with "
          + "'mvn -B -q install -pl infra/" + module + "' in the repository");
    }
    try {
      String classpath = Files.readString(file).strip();
      if (classpath.isEmpty()) {
        throw new IllegalStateException(file + " is empty: rebuild it with 'mvn -B -q install -pl infra/" + module + "'");
      }
      return classpath;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
