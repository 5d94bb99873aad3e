package io.flowreel.submission;

import java.nio.file.Path;

/** The repository's models folder (holding the tiny pack); surefire sets flowreel.repo. */
final class TinyPacks {

  static final Path MODELS = Path.of(System.getProperty("flowreel.repo", "../..")).resolve("models");

  private TinyPacks() {}

  static PackCatalog catalog() {
    return PackCatalog.load(MODELS, "tiny");
  }
}
