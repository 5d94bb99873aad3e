package io.flowreel.contract;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The gateway's API keys, between whoever issues them ({@code flowreel up}, an operator) and the
 * gateway that checks them. A key is {@code flr_} and 43 base64url characters (256 random bits),
 * shown once to whoever creates it. The gateway keeps only its sha256, one line per key in its keys
 * file: {@code <sha256 hex> <tenant> <role>}; {@code #} starts a comment.
 *
 * <p>A plain sha256, without salt or a slow hash, on purpose: those protect guessable passwords,
 * and 256 random bits cannot be found from their hash however fast it is; a slow hash would cost
 * every request.
 */
public final class ApiKeys {

  /** What a key may do: a studio acts on its own batches and jobs, an operator on every tenant's. */
  public enum Role { STUDIO, OPERATOR }

  /** One line of a keys file. */
  public record Entry(String sha256, String tenant, Role role) {}

  /** Tenants: lower-case letters, digits and '-', 1-63 characters, starting with a letter or digit. */
  public static final Pattern TENANT = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final Pattern KEY = Pattern.compile("flr_[A-Za-z0-9_-]{43}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeys() {}

  public static String generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return "flr_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Whether {@code key} has the shape of a key; anything else is refused without hashing it. */
  public static boolean wellFormed(String key) {
    return key != null && KEY.matcher(key).matches();
  }

  public static String hash(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** The entries of a keys file by sha256; a malformed line is refused naming its number. */
  public static Map<String, Entry> parse(List<String> lines) {
    Map<String, Entry> entries = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] fields = line.split("\\s+");
      if (fields.length != 3 || !SHA256.matcher(fields[0]).matches() || !TENANT.matcher(fields[1]).matches()
          || !(fields[2].equals("studio") || fields[2].equals("operator"))) {
        throw new IllegalArgumentException("line " + (i + 1) + " of the keys file is not '<sha256 hex> <tenant> "
            + "studio|operator' (tenant: " + TENANT.pattern() + ")");
      }
      entries.put(fields[0], new Entry(fields[0], fields[1], Role.valueOf(fields[2].toUpperCase(Locale.ROOT))));
    }
    return entries;
  }

  /**
   * Makes a key for {@code tenant}, appends its hash to {@code keysFile} (created readable by its owner
   * only) and returns the key, which exists nowhere else.
   */
  public static String issue(Path keysFile, String tenant, Role role) throws IOException {
    if (!TENANT.matcher(tenant).matches()) {
      throw new IllegalArgumentException("tenant '" + tenant + "' does not match " + TENANT.pattern());
    }
    String key = generate();
    createOwnerOnly(keysFile);
    Files.writeString(keysFile, hash(key) + " " + tenant + " " + role.name().toLowerCase(Locale.ROOT) + "\n",
        StandardOpenOption.APPEND);
    return key;
  }

  /** Creates an empty file only its owner can read and write, unless it exists. */
  public static void createOwnerOnly(Path file) throws IOException {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException e) {
      // kept as it is
    }
  }
}
