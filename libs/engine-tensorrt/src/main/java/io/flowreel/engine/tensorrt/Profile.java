package io.flowreel.engine.tensorrt;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One TensorRT optimization profile: the min, opt and max shape of every input of a network. An
 * engine is built for exactly one, and runs only inputs inside it.
 *
 * @param label the shape bucket it serves ({@code 256x256x17}), or {@code any} for a network whose
 *     shapes no bucket changes (the text encoders)
 */
public record Profile(String label, List<Range> inputs) {

  public static final String ANY = "any";

  public Profile {
    inputs = List.copyOf(inputs);
  }

  /** The shapes one input may take: every dimension between min and max, tuned for opt. */
  public record Range(String name, List<Integer> min, List<Integer> opt, List<Integer> max) {

    public Range {
      min = List.copyOf(min);
      opt = List.copyOf(opt);
      max = List.copyOf(max);
    }

    public boolean contains(int[] shape) {
      if (shape.length != min.size()) {
        return false;
      }
      for (int i = 0; i < shape.length; i++) {
        if (shape[i] < min.get(i) || shape[i] > max.get(i)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      return name + " " + dims(min) + ".." + dims(max) + " (opt " + dims(opt) + ")";
    }

    private static String dims(List<Integer> d) {
      return d.stream().map(String::valueOf).collect(Collectors.joining("x"));
    }
  }

  /** Whether every input of {@code shapes} is within this profile (and no input is missing or extra). */
  public boolean covers(Map<String, int[]> shapes) {
    return shapes.size() == inputs.size()
        && inputs.stream().allMatch(r -> shapes.containsKey(r.name()) && r.contains(shapes.get(r.name())));
  }

  /**
   * The label and eight hex digits of the exact dimensions: part of the engine's cache key, so a
   * change of tiling never loads an engine built for other tile sizes.
   */
  public String id() {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(inputs.toString().getBytes(StandardCharsets.UTF_8));
      return label + "-p" + HexFormat.of().formatHex(Arrays.copyOf(hash, 4));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return label + ": " + inputs.stream().map(Range::toString).collect(Collectors.joining(", "));
  }
}
