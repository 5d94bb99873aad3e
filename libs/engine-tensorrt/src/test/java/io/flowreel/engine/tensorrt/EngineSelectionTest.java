package io.flowreel.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class EngineSelectionTest {

  private static final TensorRtProbe PRESENT = Optional::empty;
  private static final TensorRtProbe MISSING = () -> Optional.of("libnvinfer could not be loaded: libnvinfer.so.11: "
      + "cannot open shared object file");
  private static final TensorRtProbe NOT_ASKED = () -> {
    throw new AssertionError("onnxruntime needs no probe");
  };

  @Test
  void autoTakesTensorRtWhereItRunsAndOnnxRuntimeElsewhereSayingWhy() {
    assertThat(EngineSelection.select(EngineChoice.AUTO, "default", PRESENT).engine()).isEqualTo(EngineChoice.TENSORRT);
    EngineSelection cpu = EngineSelection.select(EngineChoice.AUTO, "default", MISSING);
    assertThat(cpu.engine()).isEqualTo(EngineChoice.ONNXRUNTIME);
    assertThat(cpu.reason()).isEqualTo("auto: TensorRT unavailable (libnvinfer could not be loaded: libnvinfer.so.11: "
        + "cannot open shared object file)");
  }

  @Test
  void tensorRtWhereItCannotRunFailsNamingWhatIsMissingInsteadOfFallingBack() {
    assertThat(EngineSelection.select(EngineChoice.TENSORRT, "FLOWREEL_ENGINE=tensorrt", PRESENT).engine())
        .isEqualTo(EngineChoice.TENSORRT);
    assertThatThrownBy(() -> EngineSelection.select(EngineChoice.TENSORRT, "FLOWREEL_ENGINE=tensorrt", MISSING))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("FLOWREEL_ENGINE=tensorrt but TensorRT cannot run here: libnvinfer could not be loaded: "
            + "libnvinfer.so.11: cannot open shared object file");
  }

  @Test
  void onnxRuntimeIsTakenWithoutLoadingAnyGpuLibrary() {
    assertThat(EngineSelection.select(EngineChoice.ONNXRUNTIME, "--engine onnxruntime", NOT_ASKED).engine())
        .isEqualTo(EngineChoice.ONNXRUNTIME);
  }

  @Test
  void choicesParseInAnyCaseAndAnUnknownOneListsThem() {
    assertThat(EngineChoice.parse(" TensorRT ")).isEqualTo(EngineChoice.TENSORRT);
    assertThat(EngineChoice.ONNXRUNTIME.id()).isEqualTo("onnxruntime");
    assertThatThrownBy(() -> EngineChoice.parse("cuda"))
        .hasMessage("engine 'cuda' is not one of auto, tensorrt, onnxruntime");
  }

  /** The real probe, on a machine without a GPU (CI, development): the behaviour an operator meets there. */
  @Test
  void withoutAGpuAutoRunsOnnxRuntimeAndTensorRtFailsClearly() {
    var missing = NativeTensorRt.PROBE.missing();
    assumeTrue(missing.isPresent(), "TensorRT runs on this machine; the GPU tests cover it");

    assertThat(EngineSelection.select(EngineChoice.AUTO, "default", NativeTensorRt.PROBE).engine())
        .isEqualTo(EngineChoice.ONNXRUNTIME);
    assertThatThrownBy(() -> EngineSelection.select(EngineChoice.TENSORRT, "FLOWREEL_ENGINE=tensorrt",
        NativeTensorRt.PROBE))
        .hasMessageStartingWith("FLOWREEL_ENGINE=tensorrt but TensorRT cannot run here: ")
        .hasMessageMatching("(?s).*(libcudart|libnvinfer|CUDA device).*");
    System.out.println("probe on this machine: " + missing.get());
  }
}
