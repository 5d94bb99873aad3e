package io.flowreel.denoiser;

import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.service.OpenedStage;
import io.flowreel.service.StageDefinition;
import io.flowreel.service.network.EngineOpener;
import jakarta.inject.Singleton;
import java.util.List;

/** The denoiser service: stage DENOISE on the pack's DiT, checkpointing every few steps. */
@Singleton
public class DenoiserDefinition implements StageDefinition {

  private final EngineOpener engines;
  private final DenoiserConfig config;

  DenoiserDefinition(EngineOpener engines, DenoiserConfig config) {
    this.engines = engines;
    this.config = config;
  }

  @Override
  public Stage stage() {
    return Stage.DENOISE;
  }

  /** The pack's networks this stage runs: the DiT. */
  public static List<String> networks(ModelPack pack) {
    return List.of(pack.manifest().dit().network());
  }

  @Override
  public OpenedStage open(ModelPack pack, Startup startup) throws Exception {
    return engines.open(pack, networks(pack), engine -> new DenoiseHandler(pack, engine, config.checkpointEvery()),
        startup);
  }
}
