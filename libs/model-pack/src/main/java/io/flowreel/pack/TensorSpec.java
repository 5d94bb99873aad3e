package io.flowreel.pack;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;

/** Name, element type and shape of one network input or output. */
public record TensorSpec(String name, String dtype, List<Dim> shape) {

  public static final String FLOAT32 = "float32";
  public static final String INT64 = "int64";

  public int rank() {
    return shape.size();
  }

  /** The fixed size of dimension {@code i}, or -1 where it is dynamic. */
  public long fixedSize(int i) {
    return shape.get(i).size() == null ? -1 : shape.get(i).size();
  }

  /** One dimension: a fixed size, or a name shared by dimensions that must agree within a call. */
  public record Dim(Integer size, String name) {

    /** Only an int is a size: a long or a fraction would be cut to some other size without a word. */
    @JsonCreator
    static Dim of(Object json) {
      if (json instanceof Integer size) {
        return new Dim(size, null);
      }
      if (json instanceof String s) {
        return new Dim(null, s);
      }
      throw new IllegalArgumentException("a dimension is an int or a name, not " + json);
    }

    @JsonValue
    Object json() {
      return size != null ? size : name;
    }

    @Override
    public String toString() {
      return String.valueOf(json());
    }
  }
}
