package io.flowreel.handlers;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest;
import io.flowreel.pack.PackManifest.TextEncoderSpec;
import io.flowreel.runtime.StageHandler;
import java.util.List;

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
      case PUBLISH -> new PublishHandler(pack);
      default -> throw new IllegalArgumentException("no handler for stage " + stage);
    };
  }

  /** The pack's networks a stage runs: a service opens them before it takes tasks. */
  public static List<String> networks(Stage stage, ModelPack pack) {
    PackManifest m = pack.manifest();
    return switch (stage) {
      case ENCODE -> m.textEncoders().stream().map(TextEncoderSpec::network).toList();
      case DENOISE -> List.of(m.dit().network());
      case DECODE -> List.of(m.decoder().network());
      case UPSAMPLE -> List.of(m.upsampler().network());
      default -> List.of();
    };
  }
}
