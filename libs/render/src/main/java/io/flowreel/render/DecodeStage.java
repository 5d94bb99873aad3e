package io.flowreel.render;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tiling.FrameChunkSink;
import io.flowreel.tiling.TiledDecoder;

/** Latents to frames with the pack's causal decoder, in spatial tiles and temporal chunks. */
public final class DecodeStage {

  private final TiledDecoder decoder;

  public DecodeStage(ModelPack pack, InferenceEngine engine, TiledDecoder.Options options) {
    this.decoder = TiledDecoder.forPack(pack, engine, options);
  }

  public DecodeStage(ModelPack pack, InferenceEngine engine) {
    this(pack, engine, TiledDecoder.Options.defaults(pack.manifest().decoder()));
  }

  public void decode(FloatTensor latent, FrameChunkSink frames) {
    if (!latent.allFinite()) {
      throw new IllegalArgumentException("latent holds NaN or infinite values; refusing to decode it");
    }
    decoder.decode(latent, frames);
  }
}
