package io.flowreel.bench;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.engine.tensorrt.EngineCache;
import io.flowreel.engine.tensorrt.NativeTensorRt;
import io.flowreel.engine.tensorrt.TensorRtEngine;
import io.flowreel.engine.tensorrt.TensorRtSettings;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.ShapeBucket;
import io.flowreel.pack.ShapeBuckets;
import io.flowreel.pack.SizeRules;
import io.flowreel.sampling.GuidedDit;
import io.flowreel.sampling.NoiseGenerator;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.text.TextConditioning;
import io.flowreel.text.TextEncoder;
import io.flowreel.tiling.FrameChunkSink;
import io.flowreel.tiling.TiledDecoder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * TensorRT against ONNX Runtime on the same pack and shape bucket: one guided DiT step (batch of
 * two) and one tiled decode of the bucket's latent, median of RUNS after warm-up. Where TensorRT
 * cannot run its line says why. Engines are built (or loaded) before timing, into
 * FLOWREEL_TENSORRT_CACHE_DIR or ~/.cache/flowreel/tensorrt, at FLOWREEL_TENSORRT_PRECISION.
 * Usage: EngineStep PACK WIDTHxHEIGHTxFRAMES [RUNS]
 */
public final class EngineStep {

  public static void main(String[] args) throws Exception {
    ModelPack pack = ModelPack.load(Path.of(args[0]));
    ShapeBucket bucket = ShapeBucket.parse(args[1]);
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    SizeRules.Geometry g = ShapeBuckets.of(List.of(bucket), pack).geometry(bucket);
    TiledDecoder.Options decoding = TiledDecoder.Options.defaults(pack.manifest().decoder());

    measure("onnxruntime", OnnxRuntimeEngine.forPack(pack), pack, bucket, g, decoding, runs);
    Optional<String> missing = NativeTensorRt.PROBE.missing();
    if (missing.isPresent()) {
      System.out.printf("{\"engine\": \"tensorrt\", \"skipped\": \"%s\"}%n", missing.get().replace("\"", "'"));
      return;
    }
    TensorRtSettings env = TensorRtSettings.fromEnvironment(System.getenv());
    TensorRtSettings settings = new TensorRtSettings(List.of(bucket), env.precision(), env.cacheDir());
    EngineCache cache = new EngineCache(env.cacheDir(), Optional.empty());
    measure("tensorrt", TensorRtEngine.open(pack, settings, decoding, cache), pack, bucket, g, decoding, runs);
  }

  private static void measure(String name, InferenceEngine engine, ModelPack pack, ShapeBucket bucket,
      SizeRules.Geometry g, TiledDecoder.Options decoding, int runs) {
    TextEncoder text = new TextEncoder(pack, engine);
    TextConditioning cond = text.encode("a red ball bouncing on a blue floor");
    TextConditioning uncond = text.encode("");
    GuidedDit dit = new GuidedDit(engine.network(pack.manifest().dit().network()), 5.0, cond, uncond);
    FloatTensor x = NoiseGenerator.gaussian(0, 0, 1, pack.manifest().latent().channels(), g.latentFrames(),
        g.latentHeight(), g.latentWidth());
    double step = time(runs, () -> dit.velocity(x, 0.5f));

    TiledDecoder decoder = TiledDecoder.forPack(pack, engine, decoding);
    FrameChunkSink discard = (first, frames) -> { };
    double decode = time(Math.max(3, runs / 4), () -> decoder.decode(x, discard));
    System.out.printf("{\"engine\": \"%s\", \"bucket\": \"%s\", \"dit_step_median_ms\": %.2f, "
        + "\"decode_median_ms\": %.1f, \"runs\": %d, \"details\": \"%s\"}%n", name, bucket, step, decode, runs,
        details(engine.details()));
  }

  /** Median milliseconds of {@code runs} calls after three warm-up calls (the first at a shape is slower). */
  private static double time(int runs, Runnable call) {
    for (int i = 0; i < 3; i++) {
      call.run();
    }
    double[] ms = new double[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      call.run();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    return Stats.median(ms);
  }

  private static String details(Map<String, String> details) {
    return details.toString().replace("\"", "'");
  }
}
