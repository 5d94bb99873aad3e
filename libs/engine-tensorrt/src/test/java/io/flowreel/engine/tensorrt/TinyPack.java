package io.flowreel.engine.tensorrt;

import io.flowreel.pack.ModelPack;
import java.nio.file.Path;

/** The repository's tiny pack, loaded once per test JVM; surefire sets flowreel.repo. */
final class TinyPack {

  private static ModelPack pack;

  private TinyPack() {}

  static synchronized ModelPack get() {
    if (pack == null) {
      pack = ModelPack.load(Path.of(System.getProperty("flowreel.repo", "../..")).resolve("models/tiny"));
    }
    return pack;
  }
}
