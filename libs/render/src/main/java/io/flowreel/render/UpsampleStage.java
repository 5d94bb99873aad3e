package io.flowreel.render;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.tiling.FrameChunkSink;
import io.flowreel.tiling.TiledUpsampler;

/** Raises the resolution of decoded frames with the pack's upsampler, tile by tile. */
public final class UpsampleStage {

  private final TiledUpsampler upsampler;

  public UpsampleStage(ModelPack pack, InferenceEngine engine) {
    var spec = pack.manifest().upsampler();
    this.upsampler = new TiledUpsampler(engine.network(spec.network()), spec, TiledUpsampler.Options.defaults(spec));
  }

  public FrameChunkSink into(FrameChunkSink downstream) {
    return upsampler.into(downstream);
  }
}
