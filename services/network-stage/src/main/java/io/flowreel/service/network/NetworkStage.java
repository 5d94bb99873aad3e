package io.flowreel.service.network;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.runtime.StageHandler;
import io.flowreel.service.OpenedStage;
import io.flowreel.service.StageDefinition;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/** A stage that runs some of the pack's networks: opened on the engine {@link EngineOpener} chooses. */
public abstract class NetworkStage extends StageDefinition {

  private final EngineOpener engines;
  private final Function<ModelPack, List<String>> networks;
  private final BiFunction<ModelPack, InferenceEngine, StageHandler> handler;

  /**
   * @param networks the pack's networks the stage runs, all opened before its first task
   * @param handler the stage's handler on the opened engine
   */
  protected NetworkStage(EngineOpener engines, Stage stage, Function<ModelPack, List<String>> networks,
      BiFunction<ModelPack, InferenceEngine, StageHandler> handler) {
    super(stage);
    this.engines = engines;
    this.networks = networks;
    this.handler = handler;
  }

  @Override
  public OpenedStage open(ModelPack pack, Startup startup) throws Exception {
    return engines.open(pack, networks.apply(pack), engine -> handler.apply(pack, engine), startup);
  }
}
