package io.flowreel.runtime;

import io.flowreel.messages.Stage;
import java.util.Locale;

/** Topic names, as declared in infra/topics.yaml. */
public final class Topics {

  public static final String EVENTS = "flowreel.events";
  public static final String CONTROL = "flowreel.control";
  /** Accepted batches (BatchSubmission), keyed by batch id; compacted. */
  public static final String BATCHES = "flowreel.batches";

  private Topics() {}

  public static String tasks(Stage stage) {
    return "flowreel.tasks." + id(stage);
  }

  public static String deadLetters(Stage stage) {
    return "flowreel.dlq." + id(stage);
  }

  /** Lowercase stage name used in topics, keys, groups and metrics. */
  public static String id(Stage stage) {
    return stage.name().toLowerCase(Locale.ROOT);
  }
}
