package io.flowreel.engine.tensorrt;

import java.util.Optional;

/** Whether TensorRT can run in this process. Injectable so that the selection logic is tested without a GPU. */
public interface TensorRtProbe {

  /** Empty when a CUDA device is visible and the TensorRT libraries load; otherwise what is missing. */
  Optional<String> missing();
}
