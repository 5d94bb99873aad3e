package io.flowreel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.media.Mp4Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reproducibility across processes, not just within one: two JVMs, one seed, the same frames. */
class SeparateProcessesTest {

  private static final String PACK = Path.of(System.getProperty("flowreel.repo", "..")).resolve("models/tiny").toString();

  @TempDir Path dir;

  @Test
  void twoProcessesWithOneSeedDecodeToIdenticalFrames() throws Exception {
    Path first = render("first");
    Path second = render("second");
    assertThat(Mp4Reader.readAll(second)).isEqualTo(Mp4Reader.readAll(first));
  }

  private Path render(String name) throws Exception {
    Path out = dir.resolve(name);
    Path log = dir.resolve(name + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // The classpath goes through an argument file: ONNX Runtime crashes on long command lines (docs/onnxruntime.md).
    Path args = dir.resolve(name + ".args");
    Files.writeString(args, "-cp " + System.getProperty("java.class.path") + "\n");
    Process process = new ProcessBuilder(java, "@" + args,
        FlowreelCli.class.getName(), "render", "--local", "--pack", PACK, "--prompt", "a yellow triangle moving left",
        "--seed", "31", "--width", "96", "--height", "64", "--frames", "9", "--steps", "4", "--out", out.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("render finished in time").isTrue();
    assertThat(process.exitValue()).as(Files.readString(log)).isZero();
    try (var files = Files.list(out)) {
      List<Path> videos = files.filter(p -> p.toString().endsWith(".mp4")).toList();
      assertThat(videos).hasSize(1);
      return videos.get(0);
    }
  }
}
