package io.flowreel.runtime;

import io.flowreel.messages.Stage;
import java.util.List;

/** The stages of a render in order, and the routing slip a job starts with. */
public final class Pipeline {

  public static final List<Stage> STAGES =
      List.of(Stage.REWRITE, Stage.ENCODE, Stage.DENOISE, Stage.DECODE, Stage.UPSAMPLE, Stage.PUBLISH);

  private Pipeline() {}

  /** Every stage, less rewriting and upsampling when the job skips them (a preview, say). */
  public static List<Stage> routingSlip(boolean rewrite, boolean upsample) {
    return STAGES.stream()
        .filter(s -> s != Stage.REWRITE || rewrite)
        .filter(s -> s != Stage.UPSAMPLE || upsample)
        .toList();
  }
}
