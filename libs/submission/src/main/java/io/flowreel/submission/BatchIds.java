package io.flowreel.submission;

import io.flowreel.contract.Ids;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Batch and job ids. A batch submitted with an Idempotency-Key gets an id derived from the tenant
 * and the key, so a retried request names the same batch (and cannot collide with another
 * tenant's); without a key the id is random. The derivation is keyed with the gateway's secret
 * (HMAC), so nobody who knows a tenant's name and guesses its keys can compute its batch ids.
 * Job ids are the batch id and the job's index.
 */
public final class BatchIds {

  public static final int MAX_KEY_LENGTH = 255;

  private static final SecureRandom RANDOM = new SecureRandom();

  private BatchIds() {}

  /**
   * {@code b-} and the first 24 hex digits of HMAC-SHA256(secret, tenant + "\n" + key); the key is
   * checked first.
   */
  public static String forIdempotencyKey(byte[] secret, String tenant, String key) {
    validateKey(key);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      byte[] digest = mac.doFinal((tenant + "\n" + key).getBytes(StandardCharsets.UTF_8));
      return Ids.BATCH_PREFIX + HexFormat.of().formatHex(digest).substring(0, Ids.BATCH_HEX_DIGITS);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JVM has HmacSHA256", e);
    }
  }

  public static String random() {
    byte[] bytes = new byte[Ids.BATCH_HEX_DIGITS / 2];
    RANDOM.nextBytes(bytes);
    return Ids.BATCH_PREFIX + HexFormat.of().formatHex(bytes);
  }

  /** Refuses a key that is empty, longer than 255 characters or not printable ASCII. */
  public static void validateKey(String key) {
    if (key == null || key.isEmpty() || key.length() > MAX_KEY_LENGTH
        || !key.chars().allMatch(c -> c >= 0x20 && c <= 0x7e)) {
      throw new InvalidBatchException(List.of(BatchProblem.ofBatch(
          "Idempotency-Key must be 1-" + MAX_KEY_LENGTH + " printable ASCII characters")));
    }
  }
}
