package io.flowreel.service.network;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How TensorRT engines are built and cached (docs/gpu.md); unused on ONNX Runtime. From the
 * environment: {@code FLOWREEL_TENSORRT_BUCKETS}, {@code FLOWREEL_TENSORRT_PRECISION},
 * {@code FLOWREEL_TENSORRT_CACHE_DIR}. The engine itself is chosen by {@code flowreel.engine}
 * ({@code FLOWREEL_ENGINE}), which the shell reads: every stage reports it.
 */
@ConfigMapping(prefix = "flowreel.tensorrt")
public interface TensorRtConfig {

  /** WIDTHxHEIGHTxFRAMES,... to build engines for; the pack's default output when unset. */
  Optional<String> buckets();

  /** fp32, or fp16 / bf16 from a converted ONNX file in the pack. */
  @WithDefault("fp32")
  String precision();

  /** Local engine cache, {@code ~/.cache/flowreel/tensorrt} when unset; shared through the work bucket too. */
  Optional<Path> cacheDir();
}
