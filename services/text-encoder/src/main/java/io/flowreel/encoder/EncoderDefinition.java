package io.flowreel.encoder;

import io.flowreel.messages.Stage;
import io.flowreel.service.network.EngineOpener;
import io.flowreel.service.network.NetworkStage;
import jakarta.inject.Singleton;

/** The text-encoder service: stage ENCODE on every text encoder of the pack. */
@Singleton
public class EncoderDefinition extends NetworkStage {

  EncoderDefinition(EngineOpener engines) {
    super(engines, Stage.ENCODE, EncodeHandler::networks, EncodeHandler::new);
  }
}
