package io.flowreel.tensor;

/** int64 tensor, used for token ids and masks. */
public record LongTensor(int[] shape, long[] data) implements Tensor {

  public LongTensor {
    shape = shape.clone();
    if (Tensor.count(shape) != data.length) {
      throw new IllegalArgumentException(
          "shape " + Tensor.describe(shape) + " needs " + Tensor.count(shape) + " values, got " + data.length);
    }
  }

  @Override
  public int[] shape() {
    return shape.clone();
  }

  @Override
  public String dtype() {
    return "I64";
  }
}
