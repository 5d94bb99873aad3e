package io.flowreel.scheduler;

import io.flowreel.messages.Stage;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each stage's tasks as the scheduler last counted them (every {@link Admission#TICK}): waiting to be admitted, and
 * admitted but not finished. Waiting is the farm's backlog, the number an autoscaler sizes a stage by; Kafka's own
 * lag cannot say it, since tasks wait in the scheduler's store, not in the stage's topic (docs/operations.md).
 */
public final class StageBacklog {

  /** Paused tasks are not counted as waiting: adding workers would not run them. */
  public record Counts(int waiting, int admitted) {}

  private final Map<Stage, Counts> counts = new ConcurrentHashMap<>();

  void update(Stage stage, int waiting, int admitted) {
    counts.put(stage, new Counts(waiting, admitted));
  }

  /** Zero for a stage not counted yet (the scheduler has seen no task of it since it started). */
  public Counts of(Stage stage) {
    return counts.getOrDefault(stage, new Counts(0, 0));
  }
}
