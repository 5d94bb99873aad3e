package io.flowreel.upsampler;

import io.flowreel.messages.Stage;
import io.flowreel.service.network.EngineOpener;
import io.flowreel.service.network.NetworkStage;
import jakarta.inject.Singleton;

/** The upsampler service: stage UPSAMPLE on the pack's upsampler. */
@Singleton
public class UpsamplerDefinition extends NetworkStage {

  UpsamplerDefinition(EngineOpener engines) {
    super(engines, Stage.UPSAMPLE, UpsampleHandler::networks, UpsampleHandler::new);
  }
}
