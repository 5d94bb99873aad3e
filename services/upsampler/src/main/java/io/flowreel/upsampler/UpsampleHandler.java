package io.flowreel.upsampler;

import io.flowreel.artifacts.ClipFrames;
import io.flowreel.engine.InferenceEngine;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.DecoderSpec;
import io.flowreel.render.UpsampleStage;
import io.flowreel.runtime.PermanentStageException;
import io.flowreel.runtime.StageContext;
import io.flowreel.runtime.StageHandler;
import io.flowreel.tensor.ByteTensor;
import io.flowreel.tensor.Pixels;
import io.flowreel.tiling.EightBitFrames;
import io.flowreel.tiling.FrameChunkSink;
import io.flowreel.tiling.TiledDecoder;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The newest {@link ClipFrames} at the upsampler's size, stored as "frames" again. Frames go
 * through in the chunks the decoder streams in {@code LocalRenderer} (its default tiling,
 * {@link TiledDecoder.Options#defaults}), so the network sees the same batches there and here.
 */
public final class UpsampleHandler implements StageHandler {

  private final Optional<UpsampleStage> upsample;
  private final DecoderSpec decoder;
  private final int chunkLatentFrames;
  private final String engineKind;
  private final String packName;

  /** The pack's networks this stage runs: the upsampler, none for a pack without one. */
  public static List<String> networks(ModelPack pack) {
    return pack.manifest().hasUpsampler() ? List.of(pack.manifest().upsampler().network()) : List.of();
  }

  public UpsampleHandler(ModelPack pack, InferenceEngine engine) {
    // A pack without an upsampler (Wan2.1) still gets this stage: jobs skip it, and a task that
    // reaches it anyway fails with its reason instead of the service refusing to start.
    this.upsample = pack.manifest().hasUpsampler() ? Optional.of(new UpsampleStage(pack, engine)) : Optional.empty();
    this.packName = pack.name();
    this.decoder = pack.manifest().decoder();
    this.chunkLatentFrames = TiledDecoder.Options.defaults(decoder).chunkFrames();
    this.engineKind = engine.kind();
  }

  @Override
  public Stage stage() {
    return Stage.UPSAMPLE;
  }

  @Override
  public Optional<String> engine() {
    return Optional.of(engineKind);
  }

  @Override
  public Result handle(RenderTask task, StageContext ctx) throws IOException {
    if (upsample.isEmpty()) {
      throw new PermanentStageException("pack " + packName + " has no upsampler; render this job with upsample off");
    }
    ByteTensor frames = ClipFrames.read(ctx, task);
    EightBitFrames.Collector upsampled = new EightBitFrames.Collector();
    FrameChunkSink sink = upsample.get().into(upsampled);
    int n = frames.dim(0);
    int r = decoder.temporalFactor();
    // A causal decoder's first chunk lacks the r - 1 frames it drops; a non-causal one sends all at once.
    int length = decoder.causal() ? r * (chunkLatentFrames - 1) + 1 : n;
    for (int first = 0; first < n; first += length, length = r * chunkLatentFrames) {
      sink.accept(first, Pixels.dequantize(frames, first, Math.min(n, first + length)));
    }
    return Result.of(ClipFrames.store(ctx, task, Stage.UPSAMPLE, upsampled.clip()));
  }
}
