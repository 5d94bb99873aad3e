package io.flowreel.engine;

import java.util.Map;

/** Runs a pack's networks: ONNX Runtime on CPU, or TensorRT on NVIDIA GPUs (libs/engine-tensorrt). */
public interface InferenceEngine {

  /** A short name for manifests and health checks, such as {@code onnxruntime}. */
  String kind();

  /** What a health check shows beside the kind: library version, device, settings. */
  default Map<String, String> details() {
    return Map.of();
  }

  /** The named network of the pack, opened once and shared by every later call. */
  Network network(String name);
}
