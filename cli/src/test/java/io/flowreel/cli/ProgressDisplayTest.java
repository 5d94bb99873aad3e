package io.flowreel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.messages.Stage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ProgressDisplayTest {

  private final StringWriter text = new StringWriter();

  @Test
  void onATerminalEveryJobKeepsItsLineAndTheBoardIsRedrawnInPlace() {
    ProgressDisplay display = new ProgressDisplay(new PrintWriter(text), true);

    display.queued("a");
    display.queued("b");
    display.stage("a", Stage.DENOISE);
    display.step("a", 6, 24);

    // Once both lines are drawn, every redraw moves back up over them and rewrites both.
    String last = text.toString().substring(text.toString().lastIndexOf("\033[2F"));
    assertThat(last).isEqualTo("\033[2F\033[2Ka: denoise [######..................] 6/24\n\033[2Kb: queued\n");
  }

  @Test
  void inALogOnlyMilestonesGetALine() {
    ProgressDisplay display = new ProgressDisplay(new PrintWriter(text), false);

    display.queued("a");
    display.stage("a", Stage.DENOISE);
    display.step("a", 1, 2);
    display.step("a", 2, 2);
    display.done("a", Path.of("out/a.mp4"), 1500);
    display.failed("b", "failed: DENOISE: bad latent");

    assertThat(text.toString().lines()).containsExactly("a: denoise", "a: denoise [########################] 2/2",
        "a: done in 1.5 s -> out/a.mp4", "b: failed: DENOISE: bad latent");
  }
}
