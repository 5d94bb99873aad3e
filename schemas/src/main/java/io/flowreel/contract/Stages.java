package io.flowreel.contract;

import io.flowreel.messages.Stage;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The render pipeline, defined by the order of the Avro enum {@link Stage} (schemas/src/main/avro/Stage.avsc):
 * every symbol after UNKNOWN is a stage, in the order a job passes them. Nothing else lists the stages.
 */
public final class Stages {

  /** Every stage in pipeline order. */
  public static final List<Stage> PIPELINE =
      Arrays.stream(Stage.values()).filter(s -> s != Stage.UNKNOWN).toList();

  /**
   * The {@code worker} of the events the gateway sends: a job's QUEUED, and the CANCELLED of a job that no stage
   * has started yet (the tracker applies that one only while the job is still QUEUED).
   */
  public static final String GATEWAY_WORKER = "gateway";

  private Stages() {}

  /** The routing slip a job starts with: every stage, less rewriting and upsampling when the job skips them. */
  public static List<Stage> routingSlip(boolean rewrite, boolean upsample) {
    return PIPELINE.stream()
        .filter(s -> s != Stage.REWRITE || rewrite)
        .filter(s -> s != Stage.UPSAMPLE || upsample)
        .toList();
  }

  /** Position in the pipeline (0 for the first stage), or -1 for UNKNOWN. */
  public static int position(Stage stage) {
    return PIPELINE.indexOf(stage);
  }

  /** Lowercase stage name used in topics, object keys, groups, manifests and metrics. */
  public static String id(Stage stage) {
    return stage.name().toLowerCase(Locale.ROOT);
  }

  /** The share group of a stage's workers: how many there are is the scheduler's measure of the stage's capacity. */
  public static String workerGroup(Stage stage) {
    return "flowreel." + id(stage);
  }

  /** The stage named by {@link #id}, or UNKNOWN for anything else. */
  public static Stage fromId(String id) {
    return PIPELINE.stream().filter(s -> id(s).equals(id)).findFirst().orElse(Stage.UNKNOWN);
  }
}
