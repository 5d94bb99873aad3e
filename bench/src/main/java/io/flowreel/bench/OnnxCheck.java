package io.flowreel.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.LongTensor;
import io.flowreel.tensor.SafeTensors;
import io.flowreel.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One ONNX file, outside any pack, against a reference: {@code OnnxCheck MODEL.onnx REFERENCE.safetensors}
 * runs the model on the reference's {@code inputs.*} in ONNX Runtime and prints, per {@code outputs.*},
 * the largest absolute difference, as one JSON line. The Wan2.1 tools (docs/wan.md) use it to check an
 * export before a pack exists, a full-size one with its weights in external data included.
 */
public final class OnnxCheck {

  private OnnxCheck() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: OnnxCheck MODEL.onnx REFERENCE.safetensors");
      System.exit(2);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, Tensor> saved = SafeTensors.read(Path.of(args[1]));
    long start = System.nanoTime();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      try (OrtSession session = env.createSession(args[0], options)) {
        long loaded = System.nanoTime();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        Map<String, FloatTensor> expected = new TreeMap<>();
        saved.forEach((name, tensor) -> {
          if (name.startsWith("inputs.")) {
            inputs.put(name.substring("inputs.".length()), onnx(env, tensor));
          } else if (name.startsWith("outputs.")) {
            expected.put(name.substring("outputs.".length()), (FloatTensor) tensor);
          }
        });
        StringBuilder line = new StringBuilder("{\"model\": \"" + args[0] + "\"");
        try (OrtSession.Result result = session.run(inputs)) {
          long ran = System.nanoTime();
          line.append(String.format(", \"load_s\": %.1f, \"run_s\": %.2f", (loaded - start) / 1e9, (ran - loaded) / 1e9));
          for (var e : expected.entrySet()) {
            OnnxTensor out = (OnnxTensor) result.get(e.getKey())
                .orElseThrow(() -> new IllegalStateException(args[0] + " has no output " + e.getKey()));
            float[] got = new float[(int) out.getInfo().getNumElements()];
            out.getFloatBuffer().get(got);
            line.append(String.format(", \"%s\": %.3g", e.getKey(), maxAbsDifference(e.getKey(), got, e.getValue().data())));
          }
        }
        inputs.values().forEach(OnnxTensor::close);
        System.out.println(line.append('}'));
      }
    }
  }

  private static OnnxTensor onnx(OrtEnvironment env, Tensor tensor) {
    long[] shape = Arrays.stream(tensor.shape()).asLongStream().toArray();
    try {
      return tensor instanceof FloatTensor f ? OnnxTensor.createTensor(env, FloatBuffer.wrap(f.data()), shape)
          : OnnxTensor.createTensor(env, LongBuffer.wrap(((LongTensor) tensor).data()), shape);
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  private static double maxAbsDifference(String name, float[] got, float[] want) {
    if (got.length != want.length) {
      throw new IllegalStateException(name + ": " + got.length + " values, the reference has " + want.length);
    }
    double max = 0;
    for (int i = 0; i < got.length; i++) {
      max = Math.max(max, Math.abs(got[i] - want[i]));
    }
    return max;
  }
}
