package io.flowreel.engine;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackException;
import io.flowreel.pack.PackManifest.NetworkSpec;
import io.flowreel.pack.TensorSpec;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.LongTensor;
import io.flowreel.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ONNX Runtime on CPU. Sessions are expensive to create (graph optimisation, weight packing), so
 * there is one engine per pack per process and one session per network, opened on first use.
 */
public final class OnnxRuntimeEngine implements InferenceEngine {

  private static final Map<java.nio.file.Path, OnnxRuntimeEngine> ENGINES = new ConcurrentHashMap<>();

  private final ModelPack pack;
  private final int threads;
  /** Each opened once per process, and traced: a span per call. */
  private final Map<String, TracedNetwork> networks = new ConcurrentHashMap<>();

  private OnnxRuntimeEngine(ModelPack pack, int threads) {
    this.pack = pack;
    this.threads = threads;
  }

  /** The process-wide engine for {@code pack}, with one intra-op thread per core. */
  public static OnnxRuntimeEngine forPack(ModelPack pack) {
    return ENGINES.computeIfAbsent(pack.root(),
        root -> new OnnxRuntimeEngine(pack, Runtime.getRuntime().availableProcessors()));
  }

  /** A private engine with its own sessions: for benchmarks that compare thread counts. */
  public static OnnxRuntimeEngine withThreads(ModelPack pack, int threads) {
    return new OnnxRuntimeEngine(pack, threads);
  }

  @Override
  public String kind() {
    return "onnxruntime";
  }

  @Override
  public Network network(String name) {
    return networks.computeIfAbsent(name, n -> new TracedNetwork(open(n), kind()));
  }

  private OnnxNetwork open(String name) {
    NetworkSpec spec = pack.network(name);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      options.setIntraOpNumThreads(threads);
      OrtSession session = env.createSession(pack.networkFile(name).toString(), options);
      List<String> problems = new ArrayList<>();
      compare(spec.file(), "input", spec.inputs(), session.getInputInfo(), problems);
      compare(spec.file(), "output", spec.outputs(), session.getOutputInfo(), problems);
      if (!problems.isEmpty()) {
        session.close();
        throw new PackException(pack.root(), problems);
      }
      return new OnnxNetwork(name, env, session);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime cannot open " + spec.file() + " of pack " + pack.name()
          + ": " + e.getMessage(), e);
    }
  }

  /** The ONNX file must have exactly the tensors the manifest declares. */
  private static void compare(String file, String kind, List<TensorSpec> declared, Map<String, NodeInfo> actual,
      List<String> problems) {
    for (TensorSpec spec : declared) {
      NodeInfo node = actual.get(spec.name());
      if (node == null) {
        problems.add(file + ": manifest declares " + kind + " '" + spec.name() + "' but the ONNX graph has "
            + actual.keySet());
        continue;
      }
      TensorInfo info = (TensorInfo) node.getInfo();
      String dtype = switch (info.type) {
        case FLOAT -> TensorSpec.FLOAT32;
        case INT64 -> TensorSpec.INT64;
        default -> info.type.toString().toLowerCase();
      };
      long[] shape = info.getShape();
      if (!dtype.equals(spec.dtype()) || shape.length != spec.rank()) {
        problems.add(file + ": " + kind + " '" + spec.name() + "' is " + dtype + Arrays.toString(shape)
            + " in the ONNX graph, manifest says " + spec.dtype() + spec.shape());
        continue;
      }
      for (int i = 0; i < shape.length; i++) {
        if (spec.fixedSize(i) >= 0 && shape[i] >= 0 && spec.fixedSize(i) != shape[i]) {
          problems.add(file + ": " + kind + " '" + spec.name() + "' dimension " + i + " is " + shape[i]
              + " in the ONNX graph, manifest says " + spec.fixedSize(i));
        }
      }
    }
    if (actual.size() != declared.size()) {
      problems.add(file + ": the ONNX graph has " + kind + "s " + actual.keySet() + ", manifest declares "
          + declared.stream().map(TensorSpec::name).toList());
    }
  }

  private record OnnxNetwork(String name, OrtEnvironment env, OrtSession session) implements Network {

    @Override
    public Map<String, FloatTensor> run(Map<String, ? extends Tensor> inputs) {
      Map<String, OnnxTensor> feeds = new HashMap<>();
      try {
        for (var entry : inputs.entrySet()) {
          feeds.put(entry.getKey(), toOnnx(env, entry.getValue()));
        }
        try (OrtSession.Result result = session.run(feeds)) {
          Map<String, FloatTensor> outputs = new HashMap<>();
          for (Map.Entry<String, OnnxValue> out : result) {
            OnnxTensor tensor = (OnnxTensor) out.getValue();
            int[] shape = Arrays.stream(tensor.getInfo().getShape()).mapToInt(Math::toIntExact).toArray();
            float[] data = new float[Math.toIntExact(Tensor.count(shape))];
            tensor.getFloatBuffer().get(data);
            outputs.put(out.getKey(), new FloatTensor(shape, data));
          }
          return outputs;
        }
      } catch (OrtException e) {
        throw new IllegalStateException("network " + name + " failed: " + e.getMessage(), e);
      } finally {
        feeds.values().forEach(OnnxTensor::close);
      }
    }

    private static OnnxTensor toOnnx(OrtEnvironment env, Tensor tensor) throws OrtException {
      long[] shape = Arrays.stream(tensor.shape()).mapToLong(i -> i).toArray();
      if (tensor instanceof FloatTensor f) {
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(f.data()), shape);
      }
      return OnnxTensor.createTensor(env, LongBuffer.wrap(((LongTensor) tensor).data()), shape);
    }
  }
}
