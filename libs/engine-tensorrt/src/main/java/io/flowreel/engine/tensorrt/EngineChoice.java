package io.flowreel.engine.tensorrt;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a process is asked to run its networks on: {@code FLOWREEL_ENGINE}, {@code flowreel.engine}
 * or {@code --engine}.
 */
public enum EngineChoice {
  /** TensorRT where a CUDA device and the TensorRT libraries load, ONNX Runtime elsewhere. */
  AUTO,
  TENSORRT,
  ONNXRUNTIME;

  public static final String ENV = "FLOWREEL_ENGINE";
  public static final String PROPERTY = "flowreel.engine";

  /** {@code auto}, {@code tensorrt} or {@code onnxruntime}, in any case. */
  public static EngineChoice parse(String value) {
    for (EngineChoice choice : values()) {
      if (choice.id().equalsIgnoreCase(value.trim())) {
        return choice;
      }
    }
    throw new IllegalArgumentException("engine '" + value + "' is not one of "
        + Arrays.stream(values()).map(EngineChoice::id).collect(Collectors.joining(", ")));
  }

  /** The lower-case name used in configuration, manifests and health checks. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
