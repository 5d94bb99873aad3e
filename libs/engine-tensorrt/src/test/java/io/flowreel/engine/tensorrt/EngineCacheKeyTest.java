package io.flowreel.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowreel.pack.PackManifest.PackFile;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class EngineCacheKeyTest {

  private static final String SHA = "12b0748cf0a86005b450c8424b6b4bb6696df6289f6b84d25353e6ffbf32fcb9";
  private static final EngineCacheKey KEY =
      new EngineCacheKey("dit", SHA, "11.2.0.5", "9.0", "256x256x17-p1a2b3c4d", Precision.FP32);

  @Test
  void everyPartOfTheKeyIsInTheStableFileName() {
    assertThat(KEY.fileName()).isEqualTo("dit-12b0748cf0a86005-trt11.2.0.5-sm90-256x256x17-p1a2b3c4d-fp32.engine");
    assertThat(new EngineCacheKey("dit", SHA, "11.2.0.5", "9.0", "256x256x17-p1a2b3c4d", Precision.FP32).fileName())
        .isEqualTo(KEY.fileName());
  }

  @Test
  void changingAnyPartGivesAnotherFile() {
    String other = "0" + SHA.substring(1);
    assertThat(Stream.of(
            new EngineCacheKey("dit", other, "11.2.0.5", "9.0", "256x256x17-p1a2b3c4d", Precision.FP32),
            new EngineCacheKey("dit", SHA, "11.2.1.3", "9.0", "256x256x17-p1a2b3c4d", Precision.FP32),
            new EngineCacheKey("dit", SHA, "11.2.0.5", "8.9", "256x256x17-p1a2b3c4d", Precision.FP32),
            new EngineCacheKey("dit", SHA, "11.2.0.5", "9.0", "512x512x33-p0badf00d", Precision.FP32),
            new EngineCacheKey("dit", SHA, "11.2.0.5", "9.0", "256x256x17-p1a2b3c4d", Precision.BF16))
        .map(EngineCacheKey::fileName)).doesNotContain(KEY.fileName()).doesNotHaveDuplicates();
  }

  @Test
  void partsThatCouldLeaveTheFolderOrAreNotAHashAreRefused() {
    assertThatThrownBy(() -> new EngineCacheKey("../dit", SHA, "11.2.0.5", "9.0", "any-p00000000", Precision.FP32))
        .hasMessageContaining("'../dit' cannot be part of an engine file name");
    assertThatThrownBy(() -> new EngineCacheKey("dit", "abc", "11.2.0.5", "9.0", "any-p00000000", Precision.FP32))
        .hasMessageContaining("64 lower-case hex digits");
  }

  @Test
  void precisionPicksTheOnnxFileAndSaysHowToMakeAMissingOne() {
    PackFile dit = Precision.FP32.onnx(TinyPack.get(), "dit");
    assertThat(dit.path()).isEqualTo("dit.onnx");
    assertThat(dit.sha256()).isEqualTo(TinyPack.get().fileHashes().get("dit.onnx"));
    assertThatThrownBy(() -> Precision.FP16.onnx(TinyPack.get(), "dit"))
        .hasMessageStartingWith("TensorRT precision fp16 needs dit.fp16.onnx in pack tiny")
        .hasMessageContaining("ModelOpt AutoCast (low_precision_type=fp16, keep_io_types=True)");
    assertThatThrownBy(() -> Precision.parse("int8"))
        .hasMessage("TensorRT precision 'int8' is not one of fp32, fp16, bf16");
  }

  @Test
  void settingsComeFromTheEnvironmentWithThePacksDefaultBucket() {
    TensorRtSettings defaults = TensorRtSettings.fromEnvironment(Map.of());
    assertThat(defaults.precision()).isEqualTo(Precision.FP32);
    assertThat(defaults.cacheDir()).isEqualTo(TensorRtSettings.defaultCacheDir());
    assertThat(defaults.bucketsFor(TinyPack.get())).hasToString("256x256x17");

    TensorRtSettings set = TensorRtSettings.fromEnvironment(Map.of("FLOWREEL_TENSORRT_BUCKETS", "128x128x9,512x512x33",
        "FLOWREEL_TENSORRT_PRECISION", "BF16", "FLOWREEL_TENSORRT_CACHE_DIR", "/var/cache/engines"));
    assertThat(set.precision()).isEqualTo(Precision.BF16);
    assertThat(set.cacheDir()).isEqualTo(Path.of("/var/cache/engines"));
    assertThat(set.bucketsFor(TinyPack.get())).hasToString("128x128x9,512x512x33");
  }
}
