package io.flowreel.bench;

import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.sampling.GuidedDit;
import io.flowreel.sampling.NoiseGenerator;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.text.TextConditioning;
import io.flowreel.text.TextEncoder;
import java.nio.file.Path;

/**
 * One guided DiT step (batch of two) through ONNX Runtime, the same cases as
 * tools/bench_dit_torch.py. Usage: DitStep PACK THREADS [RUNS]
 */
public final class DitStep {

  public static void main(String[] args) throws Exception {
    ModelPack pack = ModelPack.load(Path.of(args[0]));
    int threads = Integer.parseInt(args[1]);
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    OnnxRuntimeEngine engine = OnnxRuntimeEngine.withThreads(pack, threads);
    TextEncoder text = new TextEncoder(pack, engine);
    TextConditioning cond = text.encode("a red ball bouncing on a blue floor");
    TextConditioning uncond = text.encode("");
    GuidedDit dit = new GuidedDit(engine.network(pack.manifest().dit().network()), 5.0, cond, uncond);
    for (int t : new int[] {4, 5}) {
      FloatTensor x = NoiseGenerator.gaussian(0, 0, 1, 8, t, 16, 16);
      for (int i = 0; i < 5; i++) {
        dit.velocity(x, 0.5f);
      }
      double[] ms = new double[runs];
      for (int i = 0; i < runs; i++) {
        long t0 = System.nanoTime();
        dit.velocity(x, 0.5f);
        ms[i] = (System.nanoTime() - t0) / 1e6;
      }
      System.out.printf("{\"engine\": \"onnxruntime\", \"case\": \"latent_8x%dx16x16\", \"threads\": %d, \"median_ms\": %.2f}%n",
          t, threads, Stats.median(ms));
    }
  }
}
