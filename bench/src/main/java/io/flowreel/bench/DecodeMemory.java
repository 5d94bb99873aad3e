package io.flowreel.bench;

import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.sampling.NoiseGenerator;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tiling.TiledDecoder;
import java.nio.file.Path;

/**
 * Peak resident memory of one decode, run in a fresh JVM per case so peaks do not mix. Frames go
 * to a sink that keeps nothing, as when they stream into the MP4 writer.
 * Usage: DecodeMemory PACK T H W (tiled TILE OVERLAP CHUNK | untiled)
 */
public final class DecodeMemory {

  public static void main(String[] args) throws Exception {
    ModelPack pack = ModelPack.load(Path.of(args[0]));
    int t = Integer.parseInt(args[1]);
    int h = Integer.parseInt(args[2]);
    int w = Integer.parseInt(args[3]);
    TiledDecoder.Options options = args[4].equals("untiled") ? TiledDecoder.Options.untiled()
        : new TiledDecoder.Options(Integer.parseInt(args[5]), Integer.parseInt(args[6]), Integer.parseInt(args[7]));
    var spec = pack.manifest().decoder();
    TiledDecoder decoder = TiledDecoder.forPack(pack, OnnxRuntimeEngine.forPack(pack), options);
    FloatTensor latent = NoiseGenerator.gaussian(1, 0, 1, 8, t, h, w);
    double before = Stats.peakRssMib();
    long[] frames = {0};
    long t0 = System.nanoTime();
    decoder.decode(latent, (first, chunk) -> frames[0] += chunk.dim(0));
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("{\"latent\": \"%dx%dx%d\", \"frames\": %d, \"decoded\": \"%dx%d\", \"mode\": \"%s\", "
        + "\"peak_rss_mib\": %.0f, \"rss_before_decode_mib\": %.0f, \"seconds\": %.2f}%n",
        t, h, w, frames[0], h * spec.spatialFactor(), w * spec.spatialFactor(), String.join(" ", java.util.Arrays
            .copyOfRange(args, 4, args.length)), Stats.peakRssMib(), before, seconds);
  }
}
