package io.flowreel.submission;

import io.flowreel.contract.Ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BatchIdsTest {

  private static final String JOB_ID = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}";
  private static final byte[] SECRET = "gateway-secret".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  @Test
  void theSameTenantAndKeyNameTheSameBatch() {
    String id = BatchIds.forIdempotencyKey(SECRET, "studio-a", "nightly-2024-06-01");
    assertThat(id).matches("b-[0-9a-f]{24}");
    assertThat(BatchIds.forIdempotencyKey(SECRET, "studio-a", "nightly-2024-06-01")).isEqualTo(id);
    assertThat(BatchIds.forIdempotencyKey(SECRET, "studio-a", "nightly-2024-06-02")).isNotEqualTo(id);
  }

  @Test
  void tenantsSharingAKeyGetDifferentBatches() {
    assertThat(BatchIds.forIdempotencyKey(SECRET, "studio-a", "k1")).isNotEqualTo(BatchIds.forIdempotencyKey(SECRET, "studio-b", "k1"));
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    assertThat(BatchIds.forIdempotencyKey(SECRET, "ab", "c")).isNotEqualTo(BatchIds.forIdempotencyKey(SECRET, "a", "bc"));
  }

  @Test
  void theIdIsTheFirst24HexDigitsOfTheHmacOfTenantNewlineKey() {
    // printf 'studio-a\nnightly-2024-06-01' | openssl dgst -sha256 -hmac gateway-secret
    assertThat(BatchIds.forIdempotencyKey(SECRET, "studio-a", "nightly-2024-06-01")).isEqualTo("b-2ccd44d22fc92619f460c643");
  }

  @Test
  void withoutTheSecretTheIdCannotBeComputed() {
    byte[] other = "another-secret".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(BatchIds.forIdempotencyKey(other, "studio-a", "k1"))
        .isNotEqualTo(BatchIds.forIdempotencyKey(SECRET, "studio-a", "k1"));
  }

  @Test
  void randomIdsHaveTheSameFormAndDiffer() {
    String a = BatchIds.random();
    assertThat(a).matches("b-[0-9a-f]{24}");
    assertThat(BatchIds.random()).isNotEqualTo(a);
  }

  @Test
  void keysOfOneTo255PrintableAsciiCharactersAreAccepted() {
    assertThatCode(() -> BatchIds.validateKey("k")).doesNotThrowAnyException();
    assertThatCode(() -> BatchIds.validateKey(" ~!".repeat(85))).doesNotThrowAnyException();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "caf\u00e9", "tab\there", "new\nline", "\u007f"})
  void otherKeysAreRefused(String key) {
    assertThatThrownBy(() -> BatchIds.validateKey(key))
        .isInstanceOf(InvalidBatchException.class)
        .hasMessage("Idempotency-Key must be 1-255 printable ASCII characters");
    assertThatThrownBy(() -> BatchIds.forIdempotencyKey(SECRET, "t", key)).isInstanceOf(InvalidBatchException.class);
  }

  @Test
  void longAndMissingKeysAreRefused() {
    assertThatThrownBy(() -> BatchIds.validateKey("k".repeat(256))).isInstanceOf(InvalidBatchException.class);
    assertThatThrownBy(() -> BatchIds.validateKey(null)).isInstanceOf(InvalidBatchException.class);
  }

  @Test
  void jobIdsAreTheBatchIdAndASixDigitIndex() {
    String batch = BatchIds.forIdempotencyKey(SECRET, "t", "k");
    assertThat(Ids.jobId(batch, 0)).isEqualTo(batch + "-000000");
    assertThat(Ids.jobId(batch, 9999)).isEqualTo(batch + "-009999").matches(JOB_ID);
    assertThat(Ids.jobId(BatchIds.random(), 42)).matches(JOB_ID);
  }
}
