package io.flowreel.infra;

import io.flowreel.contract.ApiKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/**
 * What the embedded farm's gateway needs to let callers in, made once per data folder and kept
 * across restarts (a new id secret would give a repeated Idempotency-Key a new batch): the keys
 * file with the hash of one local operator key, that key, and the secret batch ids are keyed with.
 * All in a folder and files only their owner can read.
 */
public final class GatewayCredentials {

  /** The tenant of the local key: what {@code flowreel render} and the commands submit as. */
  public static final String LOCAL_TENANT = "default";

  private final Path keysFile;
  private final String localKey;
  private final String idSecret;

  private GatewayCredentials(Path keysFile, String localKey, String idSecret) {
    this.keysFile = keysFile;
    this.localKey = localKey;
    this.idSecret = idSecret;
  }

  static GatewayCredentials ensure(Path dir) {
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      Path keysFile = dir.resolve("api-keys");
      Path keyFile = dir.resolve("api-key");
      Path secretFile = dir.resolve("id-secret");
      if (!Files.isRegularFile(keyFile)) {
        // The local user runs the farm and is its one studio: an operator key, under tenant "default".
        writeOwnerOnly(keyFile, ApiKeys.issue(keysFile, LOCAL_TENANT, ApiKeys.Role.OPERATOR));
      }
      if (!Files.isRegularFile(secretFile)) {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        writeOwnerOnly(secretFile, HexFormat.of().formatHex(secret));
      }
      return new GatewayCredentials(keysFile, Files.readString(keyFile).strip(), Files.readString(secretFile).strip());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the gateway's credentials in " + dir, e);
    }
  }

  private static void writeOwnerOnly(Path file, String content) throws IOException {
    ApiKeys.createOwnerOnly(file);
    Files.writeString(file, content + "\n");
  }

  /** The local operator key (tenant {@value #LOCAL_TENANT}). */
  public String localKey() {
    return localKey;
  }

  /** A new key for {@code tenant}; the running gateway accepts it within a second or two. */
  public String issue(String tenant, ApiKeys.Role role) {
    try {
      return ApiKeys.issue(keysFile, tenant, role);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot add a key to " + keysFile, e);
    }
  }

  /** The gateway's settings that point at these credentials. */
  Map<String, String> gatewayEnvironment() {
    return Map.of("FLOWREEL_GATEWAY_API_KEYS_FILE", keysFile.toString(), "FLOWREEL_GATEWAY_ID_SECRET", idSecret);
  }
}
