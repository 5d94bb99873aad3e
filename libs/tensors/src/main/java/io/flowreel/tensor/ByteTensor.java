package io.flowreel.tensor;

/**
 * uint8 tensor (safetensors dtype U8): 8-bit video frames between stages. Java bytes are signed,
 * so read an element as {@code data[i] & 0xff}. The data array is shared, not copied.
 */
public record ByteTensor(int[] shape, byte[] data) implements Tensor {

  public ByteTensor {
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

  public int dim(int i) {
    return shape[i];
  }

  public int rank() {
    return shape.length;
  }

  @Override
  public String dtype() {
    return "U8";
  }
}
