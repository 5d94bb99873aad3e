package io.flowreel.service.network;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.tensorrt.EngineChoice;
import io.flowreel.engine.tensorrt.EngineSelection;
import io.flowreel.engine.tensorrt.Engines;
import io.flowreel.engine.tensorrt.NativeTensorRt;
import io.flowreel.engine.tensorrt.Precision;
import io.flowreel.engine.tensorrt.S3EngineStore;
import io.flowreel.engine.tensorrt.TensorRtSettings;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.ShapeBuckets;
import io.flowreel.runtime.StageHandler;
import io.flowreel.service.EngineInfo;
import io.flowreel.service.OpenedStage;
import io.flowreel.service.StageDefinition;
import io.flowreel.service.StageServiceConfig;
import io.flowreel.tiling.TiledDecoder;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Opens a network stage: chooses the engine ({@code FLOWREEL_ENGINE}; asking for TensorRT where it
 * cannot run fails here, naming what is missing), opens it on the pack with the engine cache shared
 * through the work bucket, builds the stage's handler on it and opens every network the stage runs
 * (ONNX Runtime sessions, or TensorRT engines built or loaded) before the first task arrives. Each
 * network service's {@link StageDefinition} calls it with its own networks and handler.
 */
@Singleton
public class EngineOpener {

  private final StageServiceConfig config;
  private final TensorRtConfig tensorrt;

  EngineOpener(StageServiceConfig config, TensorRtConfig tensorrt) {
    this.config = config;
    this.tensorrt = tensorrt;
  }

  /**
   * @param networks the pack's networks the stage runs
   * @param handler the stage's handler on the opened engine
   */
  public OpenedStage open(ModelPack pack, List<String> networks, Function<InferenceEngine, StageHandler> handler,
      StageDefinition.Startup startup) throws Exception {
    String source = EngineChoice.ENV + "=" + config.engine();
    startup.doing("choosing the inference engine (" + source + ")");
    EngineSelection selection = EngineSelection.select(EngineChoice.parse(config.engine()), source,
        NativeTensorRt.PROBE);

    startup.announce("opening " + String.join(", ", networks) + " on " + selection.engine().id() + " ("
        + selection.reason() + ")");
    S3EngineStore engineStore = new S3EngineStore(config.s3().endpoint(), config.s3().accessKey(),
        config.s3().secretKey(), config.buckets().work());
    try {
      // TensorRT's decoder and upsampler profiles follow the decoder tiling the stages use: its defaults.
      InferenceEngine engine = Engines.open(selection, pack, settings(),
          TiledDecoder.Options.defaults(pack.manifest().decoder()), Optional.of(engineStore));
      StageHandler opened = handler.apply(engine);
      // Build or load every engine (and ONNX Runtime session) now, not while the first task waits.
      networks.forEach(engine::network);
      return new OpenedStage(opened, new EngineInfo(engine.kind(), selection.reason(), engine.details()),
          engineStore);
    } catch (Exception | Error e) {
      try {
        engineStore.close();
      } catch (Exception closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  private TensorRtSettings settings() {
    return new TensorRtSettings(ShapeBuckets.parseList(tensorrt.buckets().orElse("")),
        Precision.parse(tensorrt.precision()), tensorrt.cacheDir().orElse(TensorRtSettings.defaultCacheDir()));
  }
}
