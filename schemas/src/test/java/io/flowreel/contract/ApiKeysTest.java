package io.flowreel.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeysTest {

  @TempDir Path dir;

  @Test
  void anIssuedKeyIsStoredOnlyAsItsHashInAFileOnlyItsOwnerReads() throws Exception {
    Path file = dir.resolve("api-keys");
    String studio = ApiKeys.issue(file, "studio-a", ApiKeys.Role.STUDIO);
    String operator = ApiKeys.issue(file, "farm-ops", ApiKeys.Role.OPERATOR);

    assertThat(studio).matches("flr_[A-Za-z0-9_-]{43}").isNotEqualTo(operator);
    assertThat(ApiKeys.wellFormed(studio)).isTrue();
    String content = Files.readString(file);
    assertThat(content).doesNotContain(studio).doesNotContain(studio.substring(4));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    Map<String, ApiKeys.Entry> entries = ApiKeys.parse(Files.readAllLines(file));
    assertThat(entries.get(ApiKeys.hash(studio))).isEqualTo(
        new ApiKeys.Entry(ApiKeys.hash(studio), "studio-a", ApiKeys.Role.STUDIO));
    assertThat(entries.get(ApiKeys.hash(operator)).role()).isEqualTo(ApiKeys.Role.OPERATOR);
  }

  @Test
  void theHashIsSha256OfTheKey() {
    // printf 'flr_abc' | sha256sum
    assertThat(ApiKeys.hash("flr_abc")).isEqualTo("c84625830c69e7764cf8faae31c2524672194f74a48ef49ed260e89c6a4a5de2");
  }

  @Test
  void commentsAndBlankLinesAreSkippedAndAMalformedLineIsNamed() {
    String hash = "a".repeat(64);
    assertThat(ApiKeys.parse(List.of("# keys", "", hash + " studio-a studio"))).containsOnlyKeys(hash);
    for (String bad : List.of(hash + " studio-a", hash + " Studio-A studio", hash + " studio-a admin",
        "abc studio-a studio", hash + " studio-a studio extra", hash + " -x studio")) {
      assertThatThrownBy(() -> ApiKeys.parse(List.of("# keys", bad)))
          .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("line 2 of the keys file");
    }
  }

  @Test
  void keysOfAnotherShapeAreNotKeys() {
    for (String bad : new String[] {null, "", "flr_", "flr_" + "a".repeat(42), "flr_" + "a".repeat(44),
        "FLR_" + "a".repeat(43), "flr_" + "a".repeat(42) + "\n", "flr_" + "a".repeat(42) + "+"}) {
      assertThat(ApiKeys.wellFormed(bad)).as(String.valueOf(bad)).isFalse();
    }
  }

  @Test
  void aTenantOutsideThePatternGetsNoKey() {
    assertThatThrownBy(() -> ApiKeys.issue(dir.resolve("k"), "Studio A", ApiKeys.Role.STUDIO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(dir.resolve("k")).doesNotExist();
  }
}
