package io.flowreel.engine.tensorrt;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Built engines kept in a local folder and, when given, in S3, so a restarted worker and the second
 * worker on the same GPU model load an engine instead of spending minutes building it.
 *
 * <p>Nothing half-written is ever loaded: an engine is written to a temporary file and moved into
 * place atomically, with a sidecar {@code <file>.sha256} in {@code sha256sum} format written after
 * it; loading checks the bytes against the sidecar (or, from S3, against the object's metadata)
 * and rebuilds on any mismatch. Builders of one key on one machine take turns through a file lock,
 * so the second finds the first's engine; workers on different machines may each build once,
 * and the last complete upload wins.
 */
public final class EngineCache {

  private static final System.Logger LOG = System.getLogger(EngineCache.class.getName());
  /** FileLock is per process; threads of one process take turns on this first. */
  private static final Map<Path, Object> LOCAL_LOCKS = new ConcurrentHashMap<>();

  /** Where an engine came from. */
  public enum Source { LOCAL, S3, BUILT }

  public record Entry(Path file, Source source) {}

  /** Writes a newly built engine to {@code target}. */
  @FunctionalInterface
  public interface Builder {
    void build(Path target) throws IOException;
  }

  private final Path dir;
  private final Optional<S3EngineStore> remote;

  public EngineCache(Path dir, Optional<S3EngineStore> remote) {
    this.dir = dir.toAbsolutePath().normalize();
    this.remote = remote;
  }

  public Path dir() {
    return dir;
  }

  /** The engine of {@code key}: from the folder, else from S3, else built by {@code builder} and stored in both. */
  public Entry get(EngineCacheKey key, Builder builder) throws IOException {
    Files.createDirectories(dir);
    String name = key.fileName();
    Path engine = dir.resolve(name);
    synchronized (LOCAL_LOCKS.computeIfAbsent(engine, k -> new Object())) {
      try (FileChannel lockFile = FileChannel.open(dir.resolve(name + ".lock"), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE)) {
        lockFile.lock(); // released when the channel closes
        if (verifiedLocal(engine)) {
          return new Entry(engine, Source.LOCAL);
        }
        Path temp = dir.resolve(name + ".tmp-" + UUID.randomUUID());
        try {
          if (remote.isPresent() && downloaded(remote.get(), name, temp)) {
            install(temp, engine);
            return new Entry(engine, Source.S3);
          }
          builder.build(temp);
          String sha256 = install(temp, engine);
          upload(engine, name, sha256);
          return new Entry(engine, Source.BUILT);
        } finally {
          Files.deleteIfExists(temp);
        }
      }
    }
  }

  private boolean verifiedLocal(Path engine) throws IOException {
    Path sidecar = sidecar(engine);
    if (!Files.isRegularFile(engine) || !Files.isRegularFile(sidecar)) {
      return false;
    }
    String recorded = Files.readString(sidecar, StandardCharsets.UTF_8).split("\\s+", 2)[0];
    String actual = sha256(engine);
    if (actual.equals(recorded)) {
      return true;
    }
    LOG.log(System.Logger.Level.WARNING, "engine {0} has sha256 {1} but its sidecar says {2}: building it again",
        engine, actual, recorded);
    return false;
  }

  private boolean downloaded(S3EngineStore store, String name, Path temp) {
    try {
      Optional<String> claimed = store.download(name, temp);
      if (claimed.isEmpty()) {
        return false;
      }
      String actual = sha256(temp);
      if (actual.equals(claimed.get())) {
        return true;
      }
      LOG.log(System.Logger.Level.WARNING, "{0} has sha256 {1} but its metadata says {2}: building it again",
          store.location(name), actual, claimed.get());
    } catch (IOException e) {
      // The local folder still works; the engine is built here and stored again.
      LOG.log(System.Logger.Level.WARNING, "cannot read engine {0} from S3, building it: {1}", name, e.getMessage());
    }
    return false;
  }

  private void upload(Path engine, String name, String sha256) {
    remote.ifPresent(store -> {
      try {
        store.upload(engine, name, sha256);
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, "engine {0} is cached here but not in S3: {1}", name, e.getMessage());
      }
    });
  }

  /** Moves {@code temp} into place, then writes the sidecar; returns the engine's sha256. */
  private static String install(Path temp, Path engine) throws IOException {
    String sha256 = sha256(temp);
    Files.move(temp, engine, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    Path sidecarTemp = engine.resolveSibling(engine.getFileName() + ".sha256.tmp-" + UUID.randomUUID());
    Files.writeString(sidecarTemp, sha256 + "  " + engine.getFileName() + "\n", StandardCharsets.UTF_8);
    Files.move(sidecarTemp, sidecar(engine), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return sha256;
  }

  private static Path sidecar(Path engine) {
    return engine.resolveSibling(engine.getFileName() + ".sha256");
  }

  static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 20];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
