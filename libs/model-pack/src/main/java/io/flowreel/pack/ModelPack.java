package io.flowreel.pack;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.flowreel.pack.PackManifest.NetworkSpec;
import io.flowreel.pack.PackManifest.OutputDefaults;
import io.flowreel.pack.PackManifest.PackFile;
import io.flowreel.pack.PackManifest.TextEncoderSpec;
import io.flowreel.pack.PackManifest.TokenizerSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
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
  /** Real manifests are kilobytes; a bigger one is not worth parsing. */
  static final long MAX_MANIFEST_BYTES = 16L << 20;

  /**
   * Strict where Jackson is lenient by default: 2.5 or "20" is not an int and a key given twice is
   * ambiguous, so each is refused rather than silently cut, coerced or overwritten.
   */
  private static final ObjectMapper JSON = JsonMapper.builder()
      .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
      .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();

  private final Path root;
  private final PackManifest manifest;

  private ModelPack(Path root, PackManifest manifest) {
    this.root = root;
    this.manifest = manifest;
  }

  /**
   * Loads and verifies the pack in {@code dir}; throws {@link PackException} naming every fault. The
   * pack is distrusted input: whatever its files hold, nothing but a {@link PackException} escapes.
   */
  public static ModelPack load(Path dir) {
    Path root = dir.toAbsolutePath().normalize();
    PackManifest manifest = readManifest(root);
    Path realRoot;
    try {
      realRoot = root.toRealPath();
    } catch (IOException e) {
      throw new PackException(root, List.of(MANIFEST + ": unreadable: " + e));
    }
    List<String> problems = new ArrayList<>();
    ManifestChecks.check(manifest, problems);
    if (problems.isEmpty()) {
      checkFiles(root, realRoot, manifest, problems);
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

  /**
   * The name in {@code dir}'s manifest, read without checking the pack's files: a catalog that serves
   * some packs of a folder need not hash the gigabytes of the others.
   */
  public static String nameOf(Path dir) {
    return readManifest(dir.toAbsolutePath().normalize()).name();
  }

  /** pack.json parsed, refused if it is missing, too large, outside the pack or not a manifest. */
  private static PackManifest readManifest(Path root) {
    Path manifestFile = root.resolve(MANIFEST);
    if (!Files.isRegularFile(manifestFile)) {
      throw new PackException(root, List.of(MANIFEST + ": missing (is " + root + " a model pack?)"));
    }
    PackManifest manifest;
    try {
      Path real = manifestFile.toRealPath();
      if (!real.startsWith(root.toRealPath())) {
        throw new PackException(root, List.of(MANIFEST + ": resolves to " + real + ", outside the pack"));
      }
      if (Files.size(real) > MAX_MANIFEST_BYTES) {
        throw new PackException(root, List.of(MANIFEST + ": " + Files.size(real) + " bytes, more than the "
            + MAX_MANIFEST_BYTES + " a manifest may have"));
      }
      manifest = JSON.readValue(real.toFile(), PackManifest.class);
    } catch (JsonProcessingException e) {
      throw new PackException(root, List.of(MANIFEST + ": not a valid manifest" + where(e) + ": "
          + e.getOriginalMessage()));
    } catch (IOException e) {
      throw new PackException(root, List.of(MANIFEST + ": unreadable: " + e));
    }
    if (manifest == null) {
      throw new PackException(root, List.of(MANIFEST + ": empty"));
    }
    return manifest;
  }

  /** " at sampler.steps (line 9, column 14)": where in pack.json Jackson gave up. */
  private static String where(JsonProcessingException e) {
    StringBuilder path = new StringBuilder();
    if (e instanceof JsonMappingException mapping) {
      for (JsonMappingException.Reference r : mapping.getPath()) {
        if (r.getFieldName() != null) {
          path.append(path.length() == 0 ? "" : ".").append(r.getFieldName());
        } else if (r.getIndex() >= 0) {
          path.append('[').append(r.getIndex()).append(']');
        }
      }
    }
    JsonLocation at = e.getLocation();
    String line = at == null ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr();
    return (path.length() == 0 ? "" : " at " + path) + (line.isEmpty() ? "" : " (" + line + ")");
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

  private static void checkOutputDefaults(PackManifest m, List<String> problems) {
    OutputDefaults output = m.output();
    try {
      new SizeRules(m).resolve(output.width(), output.height(), output.frames(), m.hasUpsampler());
    } catch (IllegalArgumentException e) {
      problems.add(MANIFEST + ": output: " + e.getMessage());
    }
    if (output.fps() < 1 || output.fps() > OutputDefaults.MAX_FPS) {
      problems.add(MANIFEST + ": output: fps " + output.fps() + " must be between 1 and " + OutputDefaults.MAX_FPS);
    }
  }

  /**
   * Every path in pack.json must name a file inside the pack, also once symlinks are followed: a
   * pack must not read, hash or hand an engine anything outside its own folder.
   */
  private static void checkFiles(Path root, Path realRoot, PackManifest m, List<String> problems) {
    Map<String, String> referenced = new LinkedHashMap<>();
    m.networks().forEach((name, n) -> referenced.put("networks." + name + ".file", n.file()));
    for (int i = 0; i < m.textEncoders().size(); i++) {
      TextEncoderSpec e = m.textEncoders().get(i);
      TokenizerSpec t = e.tokenizer();
      if (t == null) {
        problems.add(MANIFEST + ": text encoder " + e.name() + ": tokenizer missing");
      } else if (t.readsFile()) {
        referenced.put("textEncoders[" + i + "].tokenizer.file", t.file());
      } else if (!TokenizerSpec.BYTES.equals(t.kind())) {
        problems.add(MANIFEST + ": text encoder " + e.name() + ": unknown tokenizer kind "
            + ManifestChecks.quote(t.kind()) + " (known: wordlevel, huggingface, bytes)");
      }
      if (t != null && t.cleaning() != null && !TokenizerSpec.WAN_CLEANING.equals(t.cleaning())) {
        problems.add(MANIFEST + ": text encoder " + e.name() + ": unknown tokenizer cleaning "
            + ManifestChecks.quote(t.cleaning()) + " (known: " + TokenizerSpec.WAN_CLEANING + ")");
      }
    }
    if (m.references() != null) {
      for (int i = 0; i < m.references().size(); i++) {
        referenced.put("references[" + i + "].file", m.references().get(i).file());
      }
    }
    if (m.tokenReference() != null) {
      referenced.put("tokenReference", m.tokenReference());
    }
    Set<String> listed = m.files().stream().map(PackFile::path).collect(Collectors.toSet());
    referenced.forEach((field, file) -> {
      if (inside(root, field, file, problems) != null && !listed.contains(file)) {
        problems.add(file + ": used by the manifest but not listed in 'files' (so its hash is unknown)");
      }
    });
    for (int i = 0; i < m.files().size(); i++) {
      PackFile f = m.files().get(i);
      Path path = inside(root, "files[" + i + "].path", f.path(), problems);
      if (path == null) {
        continue;
      }
      Path real;
      try {
        real = path.toRealPath();
      } catch (NoSuchFileException e) {
        problems.add(f.path() + ": missing");
        continue;
      } catch (IOException e) {
        problems.add(f.path() + ": unreadable: " + e);
        continue;
      }
      if (!real.startsWith(realRoot)) {
        problems.add(MANIFEST + ": files[" + i + "].path = " + ManifestChecks.quote(f.path()) + ": resolves to "
            + real + ", outside the pack (through a symlink)");
      } else if (!Files.isRegularFile(real)) {
        problems.add(f.path() + ": not a regular file");
      } else {
        checkFile(real, f, problems);
      }
    }
  }

  /** {@code file} resolved in the pack, or null (and a problem naming the field) where it leaves it. */
  private static Path inside(Path root, String field, String file, List<String> problems) {
    String at = MANIFEST + ": " + field + " = " + ManifestChecks.quote(file) + ": ";
    if (file == null || file.isBlank()) {
      problems.add(at + "must name a file");
      return null;
    }
    Path relative;
    try {
      relative = Path.of(file);
    } catch (InvalidPathException e) {
      problems.add(at + "not a path (" + e.getReason() + ")");
      return null;
    }
    if (relative.isAbsolute()) {
      problems.add(at + "must be relative to the pack folder");
      return null;
    }
    Path path = root.resolve(relative).normalize();
    if (!path.startsWith(root) || path.equals(root)) {
      problems.add(at + "lies outside the pack");
      return null;
    }
    return path;
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
