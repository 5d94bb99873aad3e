package io.flowreel.denoiser;

import io.flowreel.messages.Stage;
import io.flowreel.service.network.EngineOpener;
import io.flowreel.service.network.NetworkStage;
import jakarta.inject.Singleton;

/** The denoiser service: stage DENOISE on the pack's DiT, checkpointing every few steps. */
@Singleton
public class DenoiserDefinition extends NetworkStage {

  DenoiserDefinition(EngineOpener engines, DenoiserConfig config) {
    super(engines, Stage.DENOISE, DenoiseHandler::networks,
        (pack, engine) -> new DenoiseHandler(pack, engine, config.checkpointEvery()));
  }
}
