package io.flowreel.decoder;

import io.flowreel.artifacts.ClipFrames;
import io.flowreel.artifacts.Latent;
import io.flowreel.engine.InferenceEngine;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.DecoderSpec;
import io.flowreel.render.DecodeStage;
import io.flowreel.runtime.StageContext;
import io.flowreel.runtime.StageHandler;
import io.flowreel.tiling.EightBitFrames;
import io.flowreel.tiling.TiledDecoder;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The newest {@link Latent} to the whole clip's {@link ClipFrames}, with the pack's tiled, streamed
 * decoder in the tiling {@code LocalRenderer} uses by default
 * ({@link TiledDecoder.Options#defaults}); the upsampler and TensorRT's profiles follow the same
 * defaults.
 */
public final class DecodeHandler implements StageHandler {

  private final DecodeStage decode;
  private final String engineKind;


  /** The pack's networks this stage runs: the video decoder, and its first network where it has one. */
  public static List<String> networks(ModelPack pack) {
    DecoderSpec decoder = pack.manifest().decoder();
    return decoder.firstNetwork() == null ? List.of(decoder.network())
        : List.of(decoder.firstNetwork(), decoder.network());
  }

  public DecodeHandler(ModelPack pack, InferenceEngine engine) {
    this.decode = new DecodeStage(pack, engine, TiledDecoder.Options.defaults(pack.manifest().decoder()));
    this.engineKind = engine.kind();
  }

  @Override
  public Stage stage() {
    return Stage.DECODE;
  }

  @Override
  public Optional<String> engine() {
    return Optional.of(engineKind);
  }

  @Override
  public Result handle(RenderTask task, StageContext ctx) throws IOException {
    EightBitFrames.Collector frames = new EightBitFrames.Collector();
    decode.decode(Latent.read(ctx, task), frames);
    return Result.of(ClipFrames.store(ctx, task, Stage.DECODE, frames.clip()));
  }
}
