package io.flowreel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompletionCommandTest {

  @TempDir Path dir;

  /** The script completes every command and its options, and bash accepts it and completes with it. */
  @Test
  void theScriptCompletesCommandsAndOptionsInBash() throws Exception {
    CliRun cli = new CliRun();
    assertThat(cli.run("completion")).as(cli.err.toString()).isZero();
    String script = cli.out.toString();
    for (String word : new String[] {"render", "up", "scale", "logs", "dead-letters", "--scale", "--follow"}) {
      assertThat(script).contains(word);
    }
    Path file = Files.writeString(dir.resolve("flowreel.bash"), script);
    // What bash offers after "./flowreel sc<TAB>", through the function the script registers.
    Process bash = new ProcessBuilder("bash", "-c", "source " + file + " && COMP_WORDS=(./flowreel sc) && COMP_CWORD=1"
        + " && COMP_LINE='./flowreel sc' && COMP_POINT=${#COMP_LINE} && $(complete -p ./flowreel | sed "
        + "'s/.*-F \\([^ ]*\\) .*/\\1/') && echo \"${COMPREPLY[@]}\"").redirectErrorStream(true).start();
    assertThat(bash.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String offered = new String(bash.getInputStream().readAllBytes()).trim();
    assertThat(bash.exitValue()).as(offered).isZero();
    assertThat(offered).isEqualTo("scale");
  }
}
