package io.flowreel.service;

import io.flowreel.contract.Stages;
import io.flowreel.messages.Stage;
import io.flowreel.runtime.StageHandler;
import java.util.Map;

/**
 * A stage ready to take tasks: its handler, the engine it runs (for the health check) and what to
 * close at shutdown, after the worker has stopped.
 */
public record OpenedStage(StageHandler handler, EngineInfo engine, AutoCloseable resources) {

  /** A stage that runs no network (rewrite, publish): engine {@code none}, nothing to close. */
  public static OpenedStage withoutNetworks(StageHandler handler) {
    Stage stage = handler.stage();
    return new OpenedStage(handler, new EngineInfo("none", Stages.id(stage) + " runs no network", Map.of()), () -> {});
  }
}
