package io.flowreel.engine.tensorrt;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.tiling.TiledDecoder;
import java.util.Optional;

/** Opens the engine a selection chose, for one pack. */
public final class Engines {

  private Engines() {}

  /**
   * @param s3 where built TensorRT engines are shared between workers, if anywhere
   * @param decoding the decoder tiling the process uses (TensorRT profiles follow it)
   */
  public static InferenceEngine open(EngineSelection selection, ModelPack pack, TensorRtSettings settings,
      TiledDecoder.Options decoding, Optional<S3EngineStore> s3) {
    if (selection.engine() == EngineChoice.TENSORRT) {
      return TensorRtEngine.open(pack, settings, decoding, new EngineCache(settings.cacheDir(), s3));
    }
    return OnnxRuntimeEngine.forPack(pack);
  }
}
