package io.flowreel.engine.tensorrt;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.Network;
import io.flowreel.engine.TracedNetwork;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.PackFile;
import io.flowreel.pack.ShapeBuckets;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Tensor;
import io.flowreel.tiling.TiledDecoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * TensorRT on the first visible NVIDIA GPU. Each network is built (or loaded from the
 * {@link EngineCache}) as one engine per shape bucket when first asked for; a call runs on the
 * engine whose profile holds its input shapes, and a shape outside every profile is refused.
 */
public final class TensorRtEngine implements InferenceEngine {

  /** Engines pass through Java buffers in pieces of this size; one buffer holds at most 2 GB. */
  static final long CHUNK = 1L << 30;

  private static final System.Logger LOG = System.getLogger(TensorRtEngine.class.getName());

  private final ModelPack pack;
  private final TensorRtSettings settings;
  private final ShapeBuckets buckets;
  private final OptimizationProfiles profiles;
  private final EngineCache cache;
  private final String version;
  private final String computeCapability;
  /** Each opened once per process, and traced: a span per call. */
  private final Map<String, TracedNetwork> networks = new ConcurrentHashMap<>();

  private TensorRtEngine(ModelPack pack, TensorRtSettings settings, TiledDecoder.Options decoding, EngineCache cache) {
    NativeTensorRt.require();
    this.pack = pack;
    this.settings = settings;
    this.buckets = settings.bucketsFor(pack);
    this.profiles = new OptimizationProfiles(pack, decoding);
    this.cache = cache;
    this.version = NativeTensorRt.version();
    this.computeCapability = NativeTensorRt.computeCapability();
  }

  /**
   * @param decoding the decoder tiling the decode stage uses: it fixes the decoder's and upsampler's input shapes
   * @throws IllegalStateException when CUDA or TensorRT cannot be loaded, naming what is missing
   */
  public static TensorRtEngine open(ModelPack pack, TensorRtSettings settings, TiledDecoder.Options decoding,
      EngineCache cache) {
    return new TensorRtEngine(pack, settings, decoding, cache);
  }

  @Override
  public String kind() {
    return "tensorrt";
  }

  @Override
  public Map<String, String> details() {
    Map<String, String> details = new LinkedHashMap<>();
    details.put("tensorrt", version);
    details.put("computeCapability", computeCapability);
    details.put("precision", settings.precision().id());
    details.put("buckets", buckets.toString());
    details.put("cache", cache.dir().toString());
    return details;
  }

  @Override
  public Network network(String name) {
    return networks.computeIfAbsent(name, n -> new TracedNetwork(open(n), kind()));
  }

  private Network open(String name) {
    PackFile onnx = settings.precision().onnx(pack, name);
    List<EngineRunner> runners = new ArrayList<>();
    for (Profile profile : profiles.forNetwork(name, buckets)) {
      EngineCacheKey key = new EngineCacheKey(name, onnx.sha256(), version, computeCapability, profile.id(),
          settings.precision());
      long start = System.nanoTime();
      try {
        EngineCache.Entry entry = cache.get(key, target -> TensorRtBuilder.build(pack.file(onnx.path()), profile,
            target));
        runners.add(EngineRunner.load(name + " [" + profile.label() + "]", profile, entry.file()));
        LOG.log(System.Logger.Level.INFO, "TensorRT engine {0}: {1} in {2} ms", key.fileName(),
            entry.source().name().toLowerCase(), (System.nanoTime() - start) / 1_000_000);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot build or load TensorRT engine " + key.fileName(), e);
      }
    }
    return new TensorRtNetwork(name, runners);
  }

  private record TensorRtNetwork(String name, List<EngineRunner> runners) implements Network {

    @Override
    public Map<String, FloatTensor> run(Map<String, ? extends Tensor> inputs) {
      Map<String, int[]> shapes = new HashMap<>();
      inputs.forEach((input, tensor) -> shapes.put(input, tensor.shape()));
      for (EngineRunner runner : runners) {
        if (runner.profile().covers(shapes)) {
          return runner.run(inputs);
        }
      }
      // Permanent: the same job would fail again; the gateway refuses such jobs when it knows the buckets.
      throw new IllegalArgumentException("no TensorRT engine of network " + name + " takes "
          + shapes.entrySet().stream().map(e -> e.getKey() + " " + Tensor.describe(e.getValue()))
              .sorted().collect(Collectors.joining(", "))
          + "; engines were built for " + runners.stream().map(r -> r.profile().label()).toList()
          + " (FLOWREEL_TENSORRT_BUCKETS)");
    }
  }
}
