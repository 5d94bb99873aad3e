package io.flowreel.bench;

import io.flowreel.pack.RenderPlan;
import io.flowreel.contract.RenderSettings;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.render.LocalRenderer;
import io.flowreel.contract.RenderManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-stage wall time of a local render (the manifest's stageMillis), median over repeated renders
 * after one warm-up render that opens the sessions and warms up the shapes.
 * Usage: StageTimes PACK WIDTHxHEIGHTxFRAMES... [--runs N]
 */
public final class StageTimes {

  public static void main(String[] args) throws Exception {
    ModelPack pack = ModelPack.load(Path.of(args[0]));
    int runs = 5;
    List<int[]> sizes = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--runs")) {
        runs = Integer.parseInt(args[++i]);
      } else {
        String[] parts = args[i].split("x");
        sizes.add(new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2])});
      }
    }
    LocalRenderer renderer = new LocalRenderer(pack, OnnxRuntimeEngine.forPack(pack));
    Path out = Files.createTempDirectory("flowreel-bench");
    for (int[] size : sizes) {
      Map<String, double[]> perStage = new LinkedHashMap<>();
      double[] total = new double[runs];
      for (int run = -1; run < runs; run++) {
        RenderPlan spec = RenderPlan.of("bench", new RenderSettings("a red ball bouncing on a blue floor", null, run,
            size[0], size[1], size[2], 8, null, null, null, null, 0, true, true), pack);
        long t0 = System.nanoTime();
        RenderManifest manifest = renderer.render(spec, out, LocalRenderer.Progress.NONE, () -> false);
        if (run < 0) {
          continue; // warm-up
        }
        total[run] = (System.nanoTime() - t0) / 1e6;
        for (var e : manifest.stageMillis().entrySet()) {
          perStage.computeIfAbsent(e.getKey(), k -> new double[total.length])[run] = e.getValue();
        }
      }
      StringBuilder line = new StringBuilder(String.format("{\"size\": \"%dx%dx%d\", \"runs\": %d, \"threads\": %d",
          size[0], size[1], size[2], runs, Runtime.getRuntime().availableProcessors()));
      perStage.forEach((stage, ms) -> line.append(String.format(", \"%s_ms\": %.0f", stage, Stats.median(ms))));
      line.append(String.format(", \"total_ms\": %.0f}", Stats.median(total)));
      System.out.println(line);
    }
  }
}
