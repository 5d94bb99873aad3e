package io.flowreel.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.ReferenceSpec;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.SafeTensors;
import io.flowreel.tensor.Tensor;
import io.flowreel.testing.TinyPack;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every network of the tiny pack, run by ONNX Runtime, against the outputs PyTorch saved. */
class OnnxParityTest {

  static Stream<ReferenceSpec> references() {
    return TinyPack.get().manifest().references().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("references")
  void matchesPyTorchWithin1e4(ReferenceSpec reference) throws IOException {
    ModelPack pack = TinyPack.get();
    Map<String, Tensor> saved = SafeTensors.read(pack.file(reference.file()));
    Map<String, Tensor> inputs = new HashMap<>();
    Map<String, FloatTensor> expected = new HashMap<>();
    saved.forEach((name, tensor) -> {
      if (name.startsWith("inputs.")) {
        inputs.put(name.substring("inputs.".length()), tensor);
      } else if (name.startsWith("outputs.")) {
        expected.put(name.substring("outputs.".length()), (FloatTensor) tensor);
      }
    });
    Map<String, FloatTensor> actual = OnnxRuntimeEngine.forPack(pack).network(reference.network()).run(inputs);
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    expected.forEach((name, want) -> {
      assertThat(actual.get(name).shape()).as(name).containsExactly(want.shape());
      assertThat(actual.get(name).maxAbsDifference(want)).as("%s %s", reference.file(), name).isLessThanOrEqualTo(1e-4f);
    });
  }

  @Test
  void referencesCoverEveryVideoNetworkAtTwoSizes() {
    var cases = TinyPack.get().manifest().references();
    for (String network : new String[] {"dit", "decoder", "upsampler"}) {
      assertThat(cases.stream().filter(r -> r.network().equals(network)).count()).as(network).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void sessionsAreOpenedOncePerProcess() {
    ModelPack pack = TinyPack.get();
    assertThat(OnnxRuntimeEngine.forPack(pack)).isSameAs(OnnxRuntimeEngine.forPack(pack));
    assertThat(OnnxRuntimeEngine.forPack(pack).network("dit")).isSameAs(OnnxRuntimeEngine.forPack(pack).network("dit"));
  }
}
