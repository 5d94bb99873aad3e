package io.flowreel.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.ReferenceSpec;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.SafeTensors;
import io.flowreel.tensor.Tensor;
import io.flowreel.testing.TinyPack;
import io.flowreel.testing.WanPack;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every network of the tiny pack and of the reduced Wan2.1 pack, run by ONNX Runtime, against the
 * outputs PyTorch saved (for the Wan pack, the official Wan2.1 code's outputs where it has the tensor).
 */
class OnnxParityTest {

  record Case(ModelPack pack, ReferenceSpec reference) {
    @Override
    public String toString() {
      return pack.name() + " " + reference.caseName();
    }
  }

  static Stream<Case> references() {
    return Stream.of(TinyPack.get(), WanPack.get())
        .flatMap(pack -> pack.manifest().references().stream().map(r -> new Case(pack, r)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("references")
  void matchesPyTorchWithin1e4(Case c) throws IOException {
    ModelPack pack = c.pack();
    ReferenceSpec reference = c.reference();
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
