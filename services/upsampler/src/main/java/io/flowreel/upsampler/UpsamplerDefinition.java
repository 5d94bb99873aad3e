package io.flowreel.upsampler;

import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.service.OpenedStage;
import io.flowreel.service.StageDefinition;
import io.flowreel.service.network.EngineOpener;
import jakarta.inject.Singleton;
import java.util.List;

/** The upsampler service: stage UPSAMPLE on the pack's upsampler. */
@Singleton
public class UpsamplerDefinition implements StageDefinition {

  private final EngineOpener engines;

  UpsamplerDefinition(EngineOpener engines) {
    this.engines = engines;
  }

  @Override
  public Stage stage() {
    return Stage.UPSAMPLE;
  }

  /** The pack's networks this stage runs: the upsampler. */
  public static List<String> networks(ModelPack pack) {
    return List.of(pack.manifest().upsampler().network());
  }

  @Override
  public OpenedStage open(ModelPack pack, Startup startup) throws Exception {
    return engines.open(pack, networks(pack), engine -> new UpsampleHandler(pack, engine), startup);
  }
}
