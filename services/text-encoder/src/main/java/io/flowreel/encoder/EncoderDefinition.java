package io.flowreel.encoder;

import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.TextEncoderSpec;
import io.flowreel.service.OpenedStage;
import io.flowreel.service.StageDefinition;
import io.flowreel.service.network.EngineOpener;
import jakarta.inject.Singleton;
import java.util.List;

/** The text-encoder service: stage ENCODE on every text encoder of the pack. */
@Singleton
public class EncoderDefinition implements StageDefinition {

  private final EngineOpener engines;

  EncoderDefinition(EngineOpener engines) {
    this.engines = engines;
  }

  @Override
  public Stage stage() {
    return Stage.ENCODE;
  }

  /** The pack's networks this stage runs: every text encoder. */
  public static List<String> networks(ModelPack pack) {
    return pack.manifest().textEncoders().stream().map(TextEncoderSpec::network).toList();
  }

  @Override
  public OpenedStage open(ModelPack pack, Startup startup) throws Exception {
    return engines.open(pack, networks(pack), engine -> new EncodeHandler(pack, engine), startup);
  }
}
