package io.flowreel.cli;

import io.flowreel.render.LocalRenderer;
import io.flowreel.render.Stage;
import java.io.PrintWriter;
import java.nio.file.Path;

/** One line per job: the stage it is in and, while denoising, a bar of the steps done. */
final class ProgressDisplay implements LocalRenderer.Progress {

  private static final int BAR = 24;

  private final PrintWriter out;
  private final boolean terminal;
  private Stage stage;

  ProgressDisplay(PrintWriter out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  @Override
  public void stage(String jobId, Stage stage) {
    this.stage = stage;
    line(jobId, stage.id(), "");
  }

  @Override
  public void step(String jobId, int completed, int total) {
    // Without a terminal (CI logs) every step would be its own line: print only the last.
    if (terminal || completed == total) {
      int filled = BAR * completed / total;
      line(jobId, stage.id(), " [" + "#".repeat(filled) + ".".repeat(BAR - filled) + "] " + completed + "/" + total);
    }
  }

  void done(String jobId, Path video, long millis) {
    if (terminal) {
      out.print("\r\033[K");
    }
    out.printf("%s: done in %.1f s -> %s%n", jobId, millis / 1000.0, video);
    out.flush();
  }

  private void line(String jobId, String what, String detail) {
    if (terminal) {
      out.print("\r\033[K" + jobId + ": " + what + detail);
    } else {
      out.println(jobId + ": " + what + detail);
    }
    out.flush();
  }
}
