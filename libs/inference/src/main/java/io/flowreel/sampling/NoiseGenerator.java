package io.flowreel.sampling;

import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Tensor;
import java.util.stream.IntStream;

/**
 * Gaussian noise from the counter-based Philox4x32-10 generator (Salmon et al., SC'11), keyed by
 * the seed. Element i is a pure function of (seed, stream, i), so a job's noise is the same
 * whatever batch it shares, however many threads fill it, and on any worker.
 */
public final class NoiseGenerator {

  /** Stream of the initial latent noise; other uses of randomness take other streams. */
  public static final int INITIAL_LATENT = 0;

  private static final int M0 = 0xD2511F53;
  private static final int M1 = 0xCD9E8D57;
  private static final int W0 = 0x9E3779B9;
  private static final int W1 = 0xBB67AE85;
  private static final double TWO_PI = 2 * Math.PI;
  private static final double INV_2_32 = 1.0 / 4294967296.0;

  private NoiseGenerator() {}

  public static FloatTensor gaussian(long seed, int stream, int... shape) {
    float[] out = new float[Math.toIntExact(Tensor.count(shape))];
    int blocks = (out.length + 3) / 4;
    IntStream.range(0, blocks).parallel().forEach(block -> fillBlock(seed, stream, block, out));
    return new FloatTensor(shape, out);
  }

  /** Four normals from one counter block: Box-Muller on two pairs of 32-bit uniforms. */
  private static void fillBlock(long seed, int stream, int block, float[] out) {
    int[] r = philox(new int[] {block, 0, stream, 0}, (int) seed, (int) (seed >>> 32));
    int base = block * 4;
    for (int pair = 0; pair < 2; pair++) {
      // StrictMath, not Math: the JIT's intrinsics may round differently across CPUs and JVMs.
      double u1 = (Integer.toUnsignedLong(r[2 * pair]) + 0.5) * INV_2_32;
      double u2 = (Integer.toUnsignedLong(r[2 * pair + 1]) + 0.5) * INV_2_32;
      double radius = StrictMath.sqrt(-2 * StrictMath.log(u1));
      double angle = TWO_PI * u2;
      set(out, base + 2 * pair, radius * StrictMath.cos(angle));
      set(out, base + 2 * pair + 1, radius * StrictMath.sin(angle));
    }
  }

  private static void set(float[] out, int index, double value) {
    if (index < out.length) {
      out[index] = (float) value;
    }
  }

  /** Philox4x32 with 10 rounds: counter (c0..c3), key (k0, k1). */
  static int[] philox(int[] counter, int k0, int k1) {
    int c0 = counter[0];
    int c1 = counter[1];
    int c2 = counter[2];
    int c3 = counter[3];
    for (int round = 0; round < 10; round++) {
      long p0 = Integer.toUnsignedLong(M0) * Integer.toUnsignedLong(c0);
      long p1 = Integer.toUnsignedLong(M1) * Integer.toUnsignedLong(c2);
      int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
      int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
      c1 = (int) p1;
      c3 = (int) p0;
      c0 = n0;
      c2 = n2;
      k0 += W0;
      k1 += W1;
    }
    return new int[] {c0, c1, c2, c3};
  }
}
