package io.flowreel.service;

import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;

/**
 * What a stage service adds to the shared shell: which stage it runs and how to open that stage's
 * handler on a model pack. Each service under {@code services/<stage>} has exactly one bean that
 * implements it, next to its handler; the shell ({@link StageService}) does the rest: the pack,
 * storage, the broker, the worker, health and metrics.
 */
public abstract class StageDefinition {

  private final Stage stage;

  protected StageDefinition(Stage stage) {
    this.stage = stage;
  }

  public final Stage stage() {
    return stage;
  }

  /**
   * The stage's handler, ready for its first task: every network it runs open (or its engine
   * built), so that no task waits for it. Called once, on the start-up thread, after the pack is
   * verified and both buckets exist. Whatever it throws stops the service, named with the step
   * {@code startup} was last told of.
   */
  public abstract OpenedStage open(ModelPack pack, Startup startup) throws Exception;

  /** The start-up step under way, for the log and, should the step fail, for the error and the health checks. */
  public interface Startup {

    /** Starts a quick step. */
    void doing(String step);

    /** Starts a step that may take a while, and logs it. */
    void announce(String step);
  }
}
