package io.flowreel.handlers;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.runtime.StageHandler;

/** The handler each stage service runs; the services only wire messaging, storage and config around it. */
public final class StageHandlers {

  private StageHandlers() {}

  public static StageHandler create(Stage stage, ModelPack pack, InferenceEngine engine) {
    return switch (stage) {
      case REWRITE -> new RewriteHandler();
      case ENCODE -> new EncodeHandler(pack, engine);
      case DENOISE -> new DenoiseHandler(pack, engine, DenoiseHandler.DEFAULT_CHECKPOINT_EVERY);
      case DECODE -> new DecodeHandler(pack, engine);
      case UPSAMPLE -> new UpsampleHandler(pack, engine);
      case PUBLISH -> new PublishHandler(pack, engine);
      default -> throw new IllegalArgumentException("no handler for stage " + stage);
    };
  }
}
