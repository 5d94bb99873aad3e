package io.flowreel.testing;

import io.flowreel.pack.ModelPack;
import java.nio.file.Path;

/**
 * The repository's reduced Wan2.1 pack (models/wan-reduced): the family's networks at a small width
 * with random weights, exported by tools/wan/export_pack.py with references from the official code.
 */
public final class WanPack {

  private static ModelPack pack;

  private WanPack() {}

  public static Path directory() {
    return TinyPack.directory().resolveSibling("wan-reduced");
  }

  public static synchronized ModelPack get() {
    if (pack == null) {
      pack = ModelPack.load(directory());
    }
    return pack;
  }
}
