package io.flowreel.engine.tensorrt;

/**
 * The engine a process runs, decided once at start-up. Asking for TensorRT where it cannot run is
 * an error naming what is missing, never a silent fall-back: a GPU worker that quietly ran on CPU
 * would be a hundred times slower and look healthy.
 *
 * @param requested what configuration asked for
 * @param engine the engine that runs: {@code tensorrt} or {@code onnxruntime}
 * @param reason why, for logs and the health check
 */
public record EngineSelection(EngineChoice requested, EngineChoice engine, String reason) {

  /**
   * @param source how the choice was given, for the error message: {@code FLOWREEL_ENGINE=tensorrt},
   *     {@code --engine tensorrt}
   * @throws IllegalStateException when TensorRT is required and {@code probe} says it cannot run
   */
  public static EngineSelection select(EngineChoice requested, String source, TensorRtProbe probe) {
    return switch (requested) {
      case ONNXRUNTIME -> new EngineSelection(requested, EngineChoice.ONNXRUNTIME, source);
      case TENSORRT -> {
        probe.missing().ifPresent(missing -> {
          throw new IllegalStateException(source + " but TensorRT cannot run here: " + missing);
        });
        yield new EngineSelection(requested, EngineChoice.TENSORRT, source);
      }
      case AUTO -> probe.missing()
          .map(missing -> new EngineSelection(requested, EngineChoice.ONNXRUNTIME, "auto: TensorRT unavailable ("
              + missing + ")"))
          .orElseGet(() -> new EngineSelection(requested, EngineChoice.TENSORRT,
              "auto: CUDA device and TensorRT found"));
    };
  }
}
