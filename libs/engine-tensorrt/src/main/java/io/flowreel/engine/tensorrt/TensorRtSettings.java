package io.flowreel.engine.tensorrt;

import io.flowreel.pack.ModelPack;
import io.flowreel.pack.ShapeBucket;
import io.flowreel.pack.ShapeBuckets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How TensorRT engines are built and kept: the shape buckets (empty: the pack's default output),
 * the precision and the local cache folder. The S3 copy of the cache is the {@link EngineCache}'s.
 */
public record TensorRtSettings(List<ShapeBucket> buckets, Precision precision, Path cacheDir) {

  public static final String BUCKETS_ENV = "FLOWREEL_TENSORRT_BUCKETS";
  public static final String PRECISION_ENV = "FLOWREEL_TENSORRT_PRECISION";
  public static final String CACHE_DIR_ENV = "FLOWREEL_TENSORRT_CACHE_DIR";

  public TensorRtSettings {
    buckets = List.copyOf(buckets);
  }

  /** {@code ~/.cache/flowreel/tensorrt}: engines outlive the process, and a restarted worker loads them. */
  public static Path defaultCacheDir() {
    return Path.of(System.getProperty("user.home"), ".cache", "flowreel", "tensorrt");
  }

  /**
   * From {@code FLOWREEL_TENSORRT_BUCKETS}, {@code _PRECISION} (fp32) and {@code _CACHE_DIR}: the
   * variables the stage services read through their configuration.
   */
  public static TensorRtSettings fromEnvironment(Map<String, String> env) {
    String cacheDir = env.get(CACHE_DIR_ENV);
    return new TensorRtSettings(ShapeBuckets.parseList(env.get(BUCKETS_ENV)),
        Precision.parse(env.getOrDefault(PRECISION_ENV, "fp32")),
        cacheDir == null || cacheDir.isBlank() ? defaultCacheDir() : Path.of(cacheDir));
  }

  /** The buckets checked against {@code pack}. */
  public ShapeBuckets bucketsFor(ModelPack pack) {
    return buckets.isEmpty() ? ShapeBuckets.packDefault(pack) : ShapeBuckets.of(buckets, pack);
  }
}
