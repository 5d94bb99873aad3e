package io.flowreel.engine;

/** Runs a pack's networks. ONNX Runtime on CPU today; TensorRT engines build from the same ONNX. */
public interface InferenceEngine {

  /** A short name for manifests and health checks, such as {@code onnxruntime}. */
  String kind();

  /** The named network of the pack, opened once and shared by every later call. */
  Network network(String name);
}
