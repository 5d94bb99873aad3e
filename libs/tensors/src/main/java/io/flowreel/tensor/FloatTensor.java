package io.flowreel.tensor;

import java.util.Arrays;

/** float32 tensor. The data array is shared, not copied: callers own what they pass in. */
public record FloatTensor(int[] shape, float[] data) implements Tensor {

  public FloatTensor {
    shape = shape.clone();
    if (Tensor.count(shape) != data.length) {
      throw new IllegalArgumentException(
          "shape " + Tensor.describe(shape) + " needs " + Tensor.count(shape) + " values, got " + data.length);
    }
  }

  public static FloatTensor zeros(int... shape) {
    return new FloatTensor(shape, new float[Math.toIntExact(Tensor.count(shape))]);
  }

  @Override
  public int[] shape() {
    return shape.clone();
  }

  @Override
  public String dtype() {
    return "F32";
  }

  public int dim(int i) {
    return shape[i];
  }

  public int rank() {
    return shape.length;
  }

  public FloatTensor copy() {
    return new FloatTensor(shape, data.clone());
  }

  /** The same data viewed with another shape of the same size. */
  public FloatTensor reshape(int... newShape) {
    return new FloatTensor(newShape, data);
  }

  /** Sub-tensor {@code index} along the first axis, as a copy. */
  public FloatTensor slice(int index) {
    int[] inner = Arrays.copyOfRange(shape, 1, shape.length);
    int n = Math.toIntExact(Tensor.count(inner));
    return new FloatTensor(inner, Arrays.copyOfRange(data, index * n, (index + 1) * n));
  }

  /** Concatenates tensors that agree in every dimension but the first along the first axis. */
  public static FloatTensor concat(FloatTensor... parts) {
    int[] inner = Arrays.copyOfRange(parts[0].shape, 1, parts[0].shape.length);
    int first = 0;
    int total = 0;
    for (FloatTensor part : parts) {
      if (!Arrays.equals(Arrays.copyOfRange(part.shape, 1, part.shape.length), inner)) {
        throw new IllegalArgumentException("cannot concatenate " + Tensor.describe(part.shape) + " with "
            + Tensor.describe(parts[0].shape));
      }
      first += part.shape[0];
      total += part.data.length;
    }
    float[] out = new float[total];
    int offset = 0;
    for (FloatTensor part : parts) {
      System.arraycopy(part.data, 0, out, offset, part.data.length);
      offset += part.data.length;
    }
    int[] shape = parts[0].shape.clone();
    shape[0] = first;
    return new FloatTensor(shape, out);
  }

  public float maxAbsDifference(FloatTensor other) {
    if (!Arrays.equals(shape, other.shape)) {
      throw new IllegalArgumentException(
          "shapes differ: " + Tensor.describe(shape) + " vs " + Tensor.describe(other.shape));
    }
    float max = 0;
    for (int i = 0; i < data.length; i++) {
      max = Math.max(max, Math.abs(data[i] - other.data[i]));
    }
    return max;
  }

  public boolean allFinite() {
    for (float v : data) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    return true;
  }
}
