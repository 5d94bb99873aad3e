package io.flowreel.cli;

import io.flowreel.render.LocalRenderer;
import io.flowreel.contract.Stages;
import io.flowreel.messages.Stage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One line per job: the stage it is in and, while denoising, a bar of the steps done. On a
 * terminal the lines are redrawn in place (jobs run side by side on the bus); in a log each change
 * of stage is its own line and only the last denoising step is printed.
 */
final class ProgressDisplay implements LocalRenderer.Progress {

  private static final int BAR = 24;

  private final PrintWriter out;
  private final boolean terminal;
  private final Map<String, String> lines = new LinkedHashMap<>();
  private final Map<String, Stage> stages = new HashMap<>();
  private int drawn;

  ProgressDisplay(PrintWriter out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  /** A job submitted and waiting for its first stage (only on a terminal: a log needs no line for it). */
  synchronized void queued(String jobId) {
    show(jobId, "queued", false);
  }

  @Override
  public synchronized void stage(String jobId, Stage stage) {
    stages.put(jobId, stage);
    show(jobId, Stages.id(stage), true);
  }

  @Override
  public synchronized void step(String jobId, int completed, int total) {
    Stage stage = stages.getOrDefault(jobId, Stage.DENOISE);
    int filled = BAR * completed / total;
    show(jobId, Stages.id(stage) + " [" + "#".repeat(filled) + ".".repeat(BAR - filled) + "] " + completed + "/" + total,
        completed == total);
  }

  synchronized void done(String jobId, Path video, long millis) {
    show(jobId, String.format("done in %.1f s -> %s", millis / 1000.0, video), true);
  }

  synchronized void failed(String jobId, String reason) {
    show(jobId, reason, true);
  }

  /** {@code always}: print even without a terminal (where only milestones are worth a line). */
  private void show(String jobId, String text, boolean always) {
    String line = jobId + ": " + text;
    if (line.equals(lines.put(jobId, line))) {
      return;
    }
    if (terminal) {
      if (drawn > 0) {
        out.print("\033[" + drawn + "F"); // back to the first line of the board
      }
      for (String l : lines.values()) {
        out.print("\033[2K" + l + "\n");
      }
      drawn = lines.size();
    } else if (always) {
      out.println(line);
    }
    out.flush();
  }
}
