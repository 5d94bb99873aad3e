package io.flowreel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.contract.ApiKeys;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class KeysCommandTest {

  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = FlowreelCli.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void addPrintsAKeyOnceAndAppendsOnlyItsHash() throws Exception {
    Path file = dir.resolve("api-keys");
    assertThat(run("keys", "add", "--tenant", "studio-a", "--file", file.toString())).as(err.toString()).isZero();
    assertThat(run("keys", "add", "--tenant", "ops", "--operator", "--file", file.toString())).isZero();

    String[] keys = out.toString().strip().split("\n");
    assertThat(keys).hasSize(2).allMatch(ApiKeys::wellFormed);
    var entries = ApiKeys.parse(Files.readAllLines(file));
    assertThat(entries.get(ApiKeys.hash(keys[0])).tenant()).isEqualTo("studio-a");
    assertThat(entries.get(ApiKeys.hash(keys[0])).role()).isEqualTo(ApiKeys.Role.STUDIO);
    assertThat(entries.get(ApiKeys.hash(keys[1])).role()).isEqualTo(ApiKeys.Role.OPERATOR);
    assertThat(Files.readString(file)).doesNotContain(keys[0]).doesNotContain(keys[1]);
  }

  @Test
  void aTenantOutsideThePatternIsRefusedWithTheRule() {
    assertThat(run("keys", "add", "--tenant", "Studio A", "--file", dir.resolve("k").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("tenant 'Studio A' must match");
    assertThat(dir.resolve("k")).doesNotExist();
  }
}
