package io.flowreel.testing;

import io.flowreel.pack.ModelPack;
import java.nio.file.Path;

/** The repository's tiny pack, loaded once per test JVM. */
public final class TinyPack {

  private static ModelPack pack;

  private TinyPack() {}

  public static Path directory() {
    return Path.of(System.getProperty("flowreel.repo", "../..")).resolve("models/tiny");
  }

  public static synchronized ModelPack get() {
    if (pack == null) {
      pack = ModelPack.load(directory());
    }
    return pack;
  }
}
