package io.flowreel.tensor;

import java.util.Arrays;

/** A dense, row-major tensor held on the Java heap. */
public sealed interface Tensor permits FloatTensor, LongTensor, ByteTensor {

  int[] shape();

  /** The safetensors dtype: F32, I64 or U8. */
  String dtype();

  default long elementCount() {
    return count(shape());
  }

  static long count(int[] shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  /** The element count, or {@link ArithmeticException} where it does not fit a long. */
  static long countExact(int[] shape) {
    long n = 1;
    for (int d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  static String describe(int[] shape) {
    return Arrays.toString(shape);
  }
}
