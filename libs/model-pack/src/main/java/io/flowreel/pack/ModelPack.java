package io.flowreel.pack;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.pack.PackManifest.NetworkSpec;
import io.flowreel.pack.PackManifest.OutputDefaults;
import io.flowreel.pack.PackManifest.PackFile;
import io.flowreel.pack.PackManifest.TextEncoderSpec;
import io.flowreel.pack.PackManifest.TokenizerSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A model pack on disk whose manifest has been checked: every file present with the size and
 * sha256 the manifest gives, every network the stages need declared, and the tensor shapes of
 * the networks consistent with each other. Loading never returns a pack that a render would trip
 * over later.
 */
public final class ModelPack {

  public static final String MANIFEST = "pack.json";

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false);

  private final Path root;
  private final PackManifest manifest;

  private ModelPack(Path root, PackManifest manifest) {
    this.root = root;
    this.manifest = manifest;
  }

  /** Loads and verifies the pack in {@code dir}; throws {@link PackException} naming every fault. */
  public static ModelPack load(Path dir) {
    Path root = dir.toAbsolutePath().normalize();
    Path manifestFile = root.resolve(MANIFEST);
    if (!Files.isRegularFile(manifestFile)) {
      throw new PackException(root, List.of(MANIFEST + ": missing (is " + root + " a model pack?)"));
    }
    PackManifest manifest;
    try {
      manifest = JSON.readValue(manifestFile.toFile(), PackManifest.class);
    } catch (IOException e) {
      throw new PackException(root, List.of(MANIFEST + ": not a valid manifest: " + e.getMessage()));
    }
    List<String> problems = new ArrayList<>();
    checkStructure(manifest, problems);
    if (problems.isEmpty()) {
      checkFiles(root, manifest, problems);
      ShapeChecks.check(manifest, problems);
    }
    // The size rules divide by the pack's factors and patch sizes, so they are asked only once
    // the shapes have held.
    if (problems.isEmpty()) {
      checkOutputDefaults(manifest, problems);
    }
    if (!problems.isEmpty()) {
      throw new PackException(root, problems);
    }
    return new ModelPack(root, manifest);
  }

  public Path root() {
    return root;
  }

  public PackManifest manifest() {
    return manifest;
  }

  public String name() {
    return manifest.name();
  }

  /** Absolute path of a file named in the manifest. */
  public Path file(String relative) {
    return root.resolve(relative);
  }

  public NetworkSpec network(String name) {
    NetworkSpec spec = manifest.networks().get(name);
    if (spec == null) {
      throw new IllegalArgumentException("pack " + name() + " has no network '" + name + "'");
    }
    return spec;
  }

  public Path networkFile(String name) {
    return file(network(name).file());
  }

  /** sha256 of every file, by path: what a render manifest records to make a render reproducible. */
  public Map<String, String> fileHashes() {
    return manifest.files().stream()
        .collect(Collectors.toMap(PackFile::path, PackFile::sha256, (a, b) -> a, java.util.TreeMap::new));
  }

  public SizeRules sizeRules() {
    return new SizeRules(manifest);
  }

  private static void checkStructure(PackManifest m, List<String> problems) {
    if (m.formatVersion() != PackManifest.FORMAT_VERSION) {
      problems.add(MANIFEST + ": formatVersion " + m.formatVersion() + " is not supported (expected "
          + PackManifest.FORMAT_VERSION + ")");
    }
    requirePresent(m.name(), "name", problems);
    requirePresent(m.latent(), "latent", problems);
    requirePresent(m.sampler(), "sampler", problems);
    requirePresent(m.output(), "output", problems);
    requirePresent(m.limits(), "limits", problems);
    requirePresent(m.dit(), "dit", problems);
    requirePresent(m.decoder(), "decoder", problems);
    requirePresent(m.upsampler(), "upsampler", problems);
    requirePresent(m.networks(), "networks", problems);
    requirePresent(m.files(), "files", problems);
    if (m.textEncoders() == null || m.textEncoders().isEmpty()) {
      problems.add(MANIFEST + ": textEncoders: at least one text encoder is required");
    }
    if (!problems.isEmpty()) {
      return;
    }
    List<String> used = new ArrayList<>(List.of(m.dit().network(), m.decoder().network(), m.upsampler().network()));
    m.textEncoders().forEach(e -> used.add(e.network()));
    for (String network : used) {
      if (!m.networks().containsKey(network)) {
        problems.add(MANIFEST + ": networks: '" + network + "' is used but not declared");
      }
    }
    for (var entry : m.networks().entrySet()) {
      NetworkSpec n = entry.getValue();
      if (n.file() == null || n.inputs() == null || n.outputs() == null) {
        problems.add(MANIFEST + ": networks." + entry.getKey() + ": needs file, inputs and outputs");
      }
    }
  }

  private static void checkOutputDefaults(PackManifest m, List<String> problems) {
    OutputDefaults output = m.output();
    try {
      new SizeRules(m).resolve(output.width(), output.height(), output.frames(), true);
    } catch (IllegalArgumentException e) {
      problems.add(MANIFEST + ": output: " + e.getMessage());
    }
    if (output.fps() < 1 || output.fps() > OutputDefaults.MAX_FPS) {
      problems.add(MANIFEST + ": output: fps " + output.fps() + " must be between 1 and " + OutputDefaults.MAX_FPS);
    }
  }

  private static void requirePresent(Object value, String field, List<String> problems) {
    if (value == null) {
      problems.add(MANIFEST + ": '" + field + "' is missing");
    }
  }

  private static void checkFiles(Path root, PackManifest m, List<String> problems) {
    Set<String> listed = m.files().stream().map(PackFile::path).collect(Collectors.toSet());
    Set<String> referenced = new LinkedHashSet<>();
    m.networks().values().forEach(n -> referenced.add(n.file()));
    for (TextEncoderSpec e : m.textEncoders()) {
      TokenizerSpec t = e.tokenizer();
      if (t == null) {
        problems.add(MANIFEST + ": text encoder " + e.name() + ": tokenizer missing");
      } else if (TokenizerSpec.WORD_LEVEL.equals(t.kind())) {
        referenced.add(t.file());
      } else if (!TokenizerSpec.BYTES.equals(t.kind())) {
        problems.add(MANIFEST + ": text encoder " + e.name() + ": unknown tokenizer kind '" + t.kind()
            + "' (known: wordlevel, bytes)");
      }
    }
    if (m.references() != null) {
      m.references().forEach(r -> referenced.add(r.file()));
    }
    if (m.tokenReference() != null) {
      referenced.add(m.tokenReference());
    }
    for (String file : referenced) {
      if (file == null || !listed.contains(file)) {
        problems.add(file + ": used by the manifest but not listed in 'files' (so its hash is unknown)");
      }
    }
    for (PackFile f : m.files()) {
      Path path = root.resolve(f.path()).normalize();
      if (!path.startsWith(root)) {
        problems.add(f.path() + ": lies outside the pack");
      } else if (!Files.isRegularFile(path)) {
        problems.add(f.path() + ": missing");
      } else {
        checkFile(path, f, problems);
      }
    }
  }

  private static void checkFile(Path path, PackFile f, List<String> problems) {
    try {
      long size = Files.size(path);
      if (size != f.size()) {
        problems.add(f.path() + ": size " + size + " bytes, manifest says " + f.size());
        return;
      }
      String actual = sha256(path);
      if (!actual.equalsIgnoreCase(f.sha256())) {
        problems.add(f.path() + ": sha256 mismatch (manifest " + f.sha256() + ", file " + actual + ")");
      }
    } catch (IOException e) {
      problems.add(f.path() + ": unreadable: " + e.getMessage());
    }
  }

  static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
