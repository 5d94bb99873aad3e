package io.flowreel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.contract.ApiKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysCommandTest {

  @TempDir Path dir;
  private final CliRun cli = new CliRun();

  @Test
  void addPrintsAKeyOnceAndAppendsOnlyItsHash() throws Exception {
    Path file = dir.resolve("api-keys");
    assertThat(cli.run("keys", "add", "--tenant", "studio-a", "--file", file.toString())).as(cli.err.toString()).isZero();
    assertThat(cli.run("keys", "add", "--tenant", "ops", "--operator", "--file", file.toString())).isZero();

    String[] keys = cli.out.toString().strip().split("\n");
    assertThat(keys).hasSize(2).allMatch(ApiKeys::wellFormed);
    var entries = ApiKeys.parse(Files.readAllLines(file));
    assertThat(entries.get(ApiKeys.hash(keys[0])).tenant()).isEqualTo("studio-a");
    assertThat(entries.get(ApiKeys.hash(keys[0])).role()).isEqualTo(ApiKeys.Role.STUDIO);
    assertThat(entries.get(ApiKeys.hash(keys[1])).role()).isEqualTo(ApiKeys.Role.OPERATOR);
    assertThat(Files.readString(file)).doesNotContain(keys[0]).doesNotContain(keys[1]);
  }

  @Test
  void aTenantOutsideThePatternIsRefusedWithTheRule() {
    assertThat(cli.run("keys", "add", "--tenant", "Studio A", "--file", dir.resolve("k").toString())).isEqualTo(2);
    assertThat(cli.err.toString()).contains("tenant 'Studio A' must match");
    assertThat(dir.resolve("k")).doesNotExist();
  }
}
