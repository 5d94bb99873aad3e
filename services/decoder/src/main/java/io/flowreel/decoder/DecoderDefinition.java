package io.flowreel.decoder;

import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.service.OpenedStage;
import io.flowreel.service.StageDefinition;
import io.flowreel.service.network.EngineOpener;
import jakarta.inject.Singleton;
import java.util.List;

/** The decoder service: stage DECODE on the pack's video decoder. */
@Singleton
public class DecoderDefinition implements StageDefinition {

  private final EngineOpener engines;

  DecoderDefinition(EngineOpener engines) {
    this.engines = engines;
  }

  @Override
  public Stage stage() {
    return Stage.DECODE;
  }

  /** The pack's networks this stage runs: the decoder. */
  public static List<String> networks(ModelPack pack) {
    return List.of(pack.manifest().decoder().network());
  }

  @Override
  public OpenedStage open(ModelPack pack, Startup startup) throws Exception {
    return engines.open(pack, networks(pack), engine -> new DecodeHandler(pack, engine), startup);
  }
}
