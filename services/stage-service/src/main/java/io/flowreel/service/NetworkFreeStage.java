package io.flowreel.service;

import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.runtime.StageHandler;
import java.util.function.Function;

/** A stage that runs no network (rewrite, publish): its handler needs only the pack, nothing to open. */
public abstract class NetworkFreeStage extends StageDefinition {

  private final Function<ModelPack, StageHandler> handler;

  protected NetworkFreeStage(Stage stage, Function<ModelPack, StageHandler> handler) {
    super(stage);
    this.handler = handler;
  }

  @Override
  public OpenedStage open(ModelPack pack, Startup startup) {
    return OpenedStage.withoutNetworks(handler.apply(pack));
  }
}
