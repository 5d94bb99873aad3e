package io.flowreel.gateway;

import io.flowreel.contract.ApiKeys;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Optional;

/**
 * The keys file ({@link ApiKeys}, {@code flowreel.gateway.api-keys-file}), read again when it
 * changes, so an operator adds or revokes a key without restarting the gateway: a key not known
 * yet looks at the file at once (a new key works on its first request), a known one at most once
 * a second (a revoked key stops within a second). A file that
 * becomes unreadable or malformed keeps the keys read last (and says so in the log) rather than
 * locking every studio out; at start-up it is an error.
 */
@Singleton
public class ApiKeyRegistry {

  private static final System.Logger LOG = System.getLogger(ApiKeyRegistry.class.getName());
  private static final long RECHECK_MILLIS = 1000;

  private final Path file;
  private volatile Map<String, ApiKeys.Entry> entries;
  private volatile FileTime readAt;
  private volatile long checkedAt;

  ApiKeyRegistry(GatewayConfig config) throws IOException {
    this.file = config.gateway().apiKeysFile();
    readAt = Files.getLastModifiedTime(file);
    entries = ApiKeys.parse(Files.readAllLines(file));
    checkedAt = System.currentTimeMillis();
  }

  /** Who the key names, or empty for a malformed or unknown key. */
  public Optional<Caller> caller(String key) {
    if (!ApiKeys.wellFormed(key)) {
      return Optional.empty();
    }
    String hash = ApiKeys.hash(key);
    reloadIfChanged(!entries.containsKey(hash));
    ApiKeys.Entry entry = entries.get(hash);
    return entry == null ? Optional.empty()
        : Optional.of(new Caller(entry.tenant(), entry.role() == ApiKeys.Role.OPERATOR));
  }

  private void reloadIfChanged(boolean unknownKey) {
    long time = System.currentTimeMillis();
    if (!unknownKey && time - checkedAt < RECHECK_MILLIS) {
      return;
    }
    checkedAt = time;
    try {
      FileTime modified = Files.getLastModifiedTime(file);
      if (!modified.equals(readAt)) {
        entries = ApiKeys.parse(Files.readAllLines(file));
        readAt = modified;
        LOG.log(System.Logger.Level.INFO, "API keys read again from " + file + ": " + entries.size() + " keys");
      }
    } catch (IOException | IllegalArgumentException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot read the API keys in " + file + ", keeping the "
          + entries.size() + " read before: " + e.getMessage());
    }
  }
}
