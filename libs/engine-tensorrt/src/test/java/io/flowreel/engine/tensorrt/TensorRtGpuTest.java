package io.flowreel.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.flowreel.pack.RenderPlan;
import io.flowreel.contract.RenderSettings;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.media.Mp4Reader;
import io.flowreel.media.RgbFrame;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.ReferenceSpec;
import io.flowreel.pack.ShapeBucket;
import io.flowreel.render.LocalRenderer;
import io.flowreel.contract.RenderManifest;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.SafeTensors;
import io.flowreel.tensor.Tensor;
import io.flowreel.tiling.TiledDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TensorRT on a real GPU: left out of the default build (tag gpu, see docs/gpu.md) and skipped,
 * saying why, where CUDA or TensorRT cannot be loaded. Run with
 * {@code mvn -pl libs/engine-tensorrt test -Dgroups=gpu}.
 */
@Tag("gpu")
class TensorRtGpuTest {

  private static final ModelPack PACK = TinyPack.get();
  // TensorRT may use TF32 for float32 matrix products on Ampere and later: about 1e-3 relative.
  private static final float TOLERANCE = 5e-3f;
  /** dit_small's latent [2, 8, 2, 4, 6] is this bucket's. */
  private static final ShapeBucket SMALL = ShapeBucket.parse("96x64x5");

  @TempDir static Path cache;
  @TempDir Path out;

  @BeforeEach
  void needsAGpu() {
    Optional<String> missing = NativeTensorRt.PROBE.missing();
    assumeTrue(missing.isEmpty(), () -> "needs an NVIDIA GPU with CUDA 13 and TensorRT 11: " + missing.orElse(""));
  }

  static Stream<ReferenceSpec> references() {
    return PACK.manifest().references().stream();
  }

  /**
   * Builder and runner alone, with a profile fixed at the reference's shapes: every network against
   * PyTorch (the text encoders take int64 token ids, the rest float32).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("references")
  void matchesPyTorch(ReferenceSpec reference) throws IOException {
    Map<String, Tensor> inputs = new HashMap<>();
    Map<String, FloatTensor> expected = new HashMap<>();
    read(reference, inputs, expected);
    Profile fixed = new Profile(reference.caseName(), inputs.entrySet().stream().map(e -> {
      List<Integer> shape = Arrays.stream(e.getValue().shape()).boxed().toList();
      return new Profile.Range(e.getKey(), shape, shape, shape);
    }).toList());
    Path engine = out.resolve(reference.network() + ".engine");
    TensorRtBuilder.build(PACK.networkFile(reference.network()), fixed, engine);

    Map<String, FloatTensor> actual = EngineRunner.load(reference.network(), fixed, engine).run(inputs);
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    expected.forEach((name, want) -> {
      assertThat(actual.get(name).shape()).as(name).containsExactly(want.shape());
      assertThat(actual.get(name).maxAbsDifference(want)).as("%s %s", reference.file(), name)
          .isLessThanOrEqualTo(TOLERANCE);
    });
  }

  @Test
  void theEngineBuildsOncePerBucketThenLoadsFromTheCache() throws IOException {
    Map<String, Tensor> inputs = new HashMap<>();
    Map<String, FloatTensor> expected = new HashMap<>();
    read(PACK.manifest().references().stream().filter(r -> r.network().equals("dit") && r.caseName().equals("small"))
        .findFirst().orElseThrow(), inputs, expected);

    FloatTensor velocity = engine().network("dit").run(inputs).get("velocity");
    assertThat(velocity.maxAbsDifference(expected.get("velocity"))).isLessThanOrEqualTo(TOLERANCE);
    List<Path> engines = engineFiles();
    long built = Files.getLastModifiedTime(engines.get(0)).toMillis();

    engine().network("dit").run(inputs); // a second worker: same files, nothing rebuilt
    assertThat(engineFiles()).isEqualTo(engines);
    assertThat(Files.getLastModifiedTime(engines.get(0)).toMillis()).isEqualTo(built);

    inputs.put("latent", FloatTensor.zeros(2, 8, 3, 4, 6));
    assertThatThrownBy(() -> engine().network("dit").run(inputs))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no TensorRT engine of network dit takes")
        .hasMessageContaining("[96x64x5]");
  }

  /** A whole render on TensorRT looks like the same render on ONNX Runtime, and its manifest says which ran. */
  @Test
  void aLocalRenderMatchesOnnxRuntime() throws IOException {
    RenderPlan job = RenderPlan.of("gpu", new RenderSettings("a red ball bouncing on a blue floor", null, 3, 96, 64, 5, 8, 4, null, null, null, 0, false, true), PACK);
    RenderManifest trt = new LocalRenderer(PACK, engine()).render(job, out.resolve("trt"), LocalRenderer.Progress.NONE,
        () -> false);
    new LocalRenderer(PACK, OnnxRuntimeEngine.forPack(PACK)).render(job, out.resolve("ort"),
        LocalRenderer.Progress.NONE, () -> false);

    assertThat(trt.engine()).isEqualTo("tensorrt");
    List<RgbFrame> a = Mp4Reader.readAll(out.resolve("trt/gpu.mp4"));
    List<RgbFrame> b = Mp4Reader.readAll(out.resolve("ort/gpu.mp4"));
    assertThat(a).hasSameSizeAs(b);
    long diff = 0;
    long count = 0;
    for (int i = 0; i < a.size(); i++) {
      byte[] x = a.get(i).rgb();
      byte[] y = b.get(i).rgb();
      for (int j = 0; j < x.length; j++) {
        diff += Math.abs((x[j] & 0xff) - (y[j] & 0xff));
        count++;
      }
    }
    assertThat((double) diff / count).as("mean absolute pixel difference").isLessThan(2.0);
  }

  private static TensorRtEngine engine() {
    TensorRtSettings settings = new TensorRtSettings(List.of(SMALL), Precision.FP32, cache);
    return TensorRtEngine.open(PACK, settings, TiledDecoder.Options.defaults(PACK.manifest().decoder()),
        new EngineCache(cache, Optional.empty()));
  }

  private static List<Path> engineFiles() throws IOException {
    try (Stream<Path> files = Files.list(cache)) {
      return files.filter(f -> f.toString().endsWith(".engine")).sorted().toList();
    }
  }

  private static void read(ReferenceSpec reference, Map<String, Tensor> inputs, Map<String, FloatTensor> expected)
      throws IOException {
    SafeTensors.read(PACK.file(reference.file())).forEach((name, tensor) -> {
      if (name.startsWith("inputs.")) {
        inputs.put(name.substring("inputs.".length()), tensor);
      } else if (name.startsWith("outputs.")) {
        expected.put(name.substring("outputs.".length()), (FloatTensor) tensor);
      }
    });
  }
}
