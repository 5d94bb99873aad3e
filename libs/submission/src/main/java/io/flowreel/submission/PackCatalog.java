package io.flowreel.submission;

import io.flowreel.pack.ModelPack;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/** The model packs a gateway accepts jobs for, by name, and the one a job gets when it names none. */
public final class PackCatalog {

  private final Map<String, ModelPack> packs;
  private final String defaultPack;

  private PackCatalog(Map<String, ModelPack> packs, String defaultPack) {
    this.packs = packs;
    this.defaultPack = defaultPack;
  }

  /**
   * Loads and verifies every pack folder (a subfolder holding a {@code pack.json}) of
   * {@code packsDir}; a broken pack stops the load with its {@link io.flowreel.pack.PackException},
   * since a gateway that skipped it would refuse that pack's jobs as unknown.
   */
  public static PackCatalog load(Path packsDir, String defaultPack) {
    return load(packsDir, defaultPack, Optional.empty());
  }

  /** As {@link #load(Path, String)}, keeping only the packs named in {@code served} when it is given. */
  public static PackCatalog load(Path packsDir, String defaultPack, Optional<List<String>> served) {
    Map<String, ModelPack> packs = new TreeMap<>();
    try (Stream<Path> entries = Files.list(packsDir)) {
      for (Path dir : entries.filter(d -> Files.isRegularFile(d.resolve(ModelPack.MANIFEST))).sorted().toList()) {
        if (served.isPresent() && !served.get().contains(ModelPack.nameOf(dir))) {
          continue;
        }
        ModelPack pack = ModelPack.load(dir);
        ModelPack clash = packs.putIfAbsent(pack.name(), pack);
        if (clash != null) {
          throw new IllegalArgumentException("packs " + clash.root() + " and " + pack.root() + " are both named '"
              + pack.name() + "'");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list model packs in " + packsDir, e);
    }
    if (packs.isEmpty()) {
      throw new IllegalArgumentException("no model packs (folders with a " + ModelPack.MANIFEST + ") in " + packsDir);
    }
    if (!packs.containsKey(defaultPack)) {
      throw new IllegalArgumentException("default pack '" + defaultPack + "' is not in " + packsDir + "; found: "
          + String.join(", ", packs.keySet()));
    }
    return new PackCatalog(packs, defaultPack);
  }

  public Optional<ModelPack> pack(String name) {
    return Optional.ofNullable(packs.get(name));
  }

  /** Pack names in alphabetical order. */
  public List<String> names() {
    return List.copyOf(packs.keySet());
  }

  public String defaultPack() {
    return defaultPack;
  }

  /** What a client is told when a job names a pack this gateway does not have. */
  public String unknownPackProblem(String name) {
    return "unknown pack '" + name + "'; known packs: " + String.join(", ", names());
  }
}
