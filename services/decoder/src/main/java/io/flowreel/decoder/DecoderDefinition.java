package io.flowreel.decoder;

import io.flowreel.messages.Stage;
import io.flowreel.service.network.EngineOpener;
import io.flowreel.service.network.NetworkStage;
import jakarta.inject.Singleton;

/** The decoder service: stage DECODE on the pack's video decoder. */
@Singleton
public class DecoderDefinition extends NetworkStage {

  DecoderDefinition(EngineOpener engines) {
    super(engines, Stage.DECODE, DecodeHandler::networks, DecodeHandler::new);
  }
}
