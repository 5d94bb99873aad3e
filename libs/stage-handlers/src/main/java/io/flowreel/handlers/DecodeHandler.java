package io.flowreel.handlers;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.render.DecodeStage;
import io.flowreel.runtime.StageContext;
import io.flowreel.runtime.StageHandler;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tiling.TiledDecoder;
import java.io.IOException;
import java.util.Optional;

/** The newest "latent" to the whole clip's "frames", with the pack's tiled, streamed decoder. */
public final class DecodeHandler implements StageHandler {

  private final DecodeStage decode;
  private final String engineKind;

  public DecodeHandler(ModelPack pack, InferenceEngine engine) {
    this.decode = new DecodeStage(pack, engine, decoding(pack));
    this.engineKind = engine.kind();
  }

  /**
   * The decoder tiling LocalRenderer uses by default; {@link UpsampleHandler} follows its chunks,
   * and TensorRT's decoder and upsampler profiles are derived from it.
   */
  public static TiledDecoder.Options decoding(ModelPack pack) {
    return TiledDecoder.Options.defaults(pack.manifest().decoder());
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
    FloatTensor latent = StoredTensors.readFloat(ctx, task, DenoiseHandler.LATENT, DenoiseHandler.LATENT);
    ClipFrames.Collector frames = new ClipFrames.Collector();
    decode.decode(latent, frames);
    return Result.of(ClipFrames.store(ctx, task, Stage.DECODE, frames.clip()));
  }
}
