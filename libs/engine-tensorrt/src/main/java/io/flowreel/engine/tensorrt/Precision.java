package io.flowreel.engine.tensorrt;

import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.PackFile;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Precision of a TensorRT engine. TensorRT 11 builds strongly typed networks only (its fp16 and
 * bf16 builder flags are gone): the precision is that of the ONNX graph. So {@code fp32} builds the
 * pack's network file and {@code fp16} or {@code bf16} build a converted copy next to it,
 * {@code dit.fp16.onnx} for {@code dit.onnx}, made with NVIDIA ModelOpt AutoCast (keeping float32
 * inputs and outputs, so the manifest's tensors still hold) and listed in pack.json's files.
 */
public enum Precision {
  FP32,
  FP16,
  BF16;

  public static Precision parse(String value) {
    for (Precision p : values()) {
      if (p.id().equalsIgnoreCase(value.trim())) {
        return p;
      }
    }
    throw new IllegalArgumentException("TensorRT precision '" + value + "' is not one of "
        + Arrays.stream(values()).map(Precision::id).collect(Collectors.joining(", ")));
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The pack file TensorRT builds {@code network} from at this precision, with its sha256.
   *
   * @throws IllegalArgumentException when the pack has no such file, saying how to make one
   */
  public PackFile onnx(ModelPack pack, String network) {
    String file = pack.network(network).file();
    String wanted = this == FP32 ? file : file.replaceFirst("\\.onnx$", "") + "." + id() + ".onnx";
    return pack.manifest().files().stream().filter(f -> f.path().equals(wanted)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("TensorRT precision " + id() + " needs " + wanted
            + " in pack " + pack.name() + ": TensorRT 11 takes the precision from the ONNX graph, so convert " + file
            + " with ModelOpt AutoCast (low_precision_type=" + id() + ", keep_io_types=True) and list it in pack.json's"
            + " files, or use precision fp32"));
  }
}
