package io.flowreel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.media.Mp4Reader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RenderCommandTest {

  private static final String PACK = Path.of(System.getProperty("flowreel.repo", "..")).resolve("models/tiny").toString();
  private static final String WAN_PACK =
      Path.of(System.getProperty("flowreel.repo", "..")).resolve("models/wan-reduced").toString();

  @TempDir Path out;
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = FlowreelCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void rendersPromptsFromTheCommandLineAndAJsonlFile() throws Exception {
    Path jobs = out.resolve("jobs.jsonl");
    Files.writeString(jobs, "{\"prompt\": \"a blue box\", \"seed\": 5, \"frames\": 5}\n\n");
    int code = run("render", "--local", "--pack", PACK, "--prompt", "a red ball", "--prompts", jobs.toString(),
        "--out", out.toString(), "--width", "128", "--height", "64", "--frames", "9", "--steps", "3");
    assertThat(code).as(err.toString()).isZero();
    assertThat(Mp4Reader.probe(out.resolve("a-red-ball-s0.mp4")).frames()).isEqualTo(9);
    Mp4Reader.VideoInfo fromFile = Mp4Reader.probe(out.resolve("a-blue-box-s5.mp4"));
    assertThat(fromFile.frames()).isEqualTo(5);
    assertThat(fromFile.width()).isEqualTo(128);
    assertThat(out.resolve("a-blue-box-s5.json")).exists();
    assertThat(err.toString()).contains("a-red-ball-s0: done in");
  }

  @Test
  void invalidSizeAndFramesNameTheValidChoices() {
    int code = run("render", "--local", "--pack", PACK, "--prompt", "x", "--out", out.toString(), "--width", "200",
        "--frames", "20");
    assertThat(code).isEqualTo(RenderCommand.EXIT_INVALID);
    assertThat(err.toString())
        .contains("width 200 is not valid for pack tiny: it must be a multiple of 32")
        .contains("nearest valid: 192 or 224")
        .contains("frames 20 is not valid")
        .contains("nearest valid: 17 or 21");
    assertThat(out).isEmptyDirectory();
  }

  @Test
  void decoderTilingIsConfigurableAndChecked() {
    assertThat(run("render", "--local", "--pack", PACK, "--prompt", "a red ball", "--out", out.toString(), "--width", "64",
        "--height", "64", "--frames", "5", "--steps", "2", "--decode-tile", "2", "--decode-overlap", "1",
        "--decode-chunk", "1")).as(err.toString()).isZero();
    assertThat(out.resolve("a-red-ball-s0.mp4")).exists();
    assertThat(run("render", "--local", "--pack", PACK, "--prompt", "x", "--out", out.toString(), "--decode-tile", "4",
        "--decode-overlap", "4")).isEqualTo(RenderCommand.EXIT_INVALID);
    assertThat(err.toString()).contains("decoder tiling needs tile > overlap >= 0");
  }

  @Test
  void brokenPackIsReportedWithTheFileAtFault() {
    int code = run("render", "--local", "--pack", out.toString(), "--prompt", "x", "--out", out.toString());
    assertThat(code).isEqualTo(RenderCommand.EXIT_INVALID);
    assertThat(err.toString()).contains("pack.json: missing");
  }

  @Test
  void withoutLocalItRendersThroughTheGatewayAndEveryServiceAndLeavesNothingRunning() throws Exception {
    int code = run("render", "--pack", PACK, "--prompt", "a green square", "--out", out.toString(), "--width", "64",
        "--height", "64", "--frames", "5", "--steps", "3", "--seed", "4");
    assertThat(code).as(err.toString()).isZero();
    assertThat(err.toString()).contains("starting Kafka broker, S3 server and 9 services")
        .contains("a-green-square-s4: done in");
    assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive))
        .as("no broker, S3 server or service left running").isEmpty();
    Mp4Reader.VideoInfo info = Mp4Reader.probe(out.resolve("a-green-square-s4.mp4"));
    assertThat(info.frames()).isEqualTo(5);
    assertThat(info.width()).isEqualTo(64);
    assertThat(out.resolve("a-green-square-s4.png")).exists();
    assertThat(Files.readString(out.resolve("a-green-square-s4.json"))).contains("\"attempt\"");
    // Same frames as the in-process renderer with the same settings.
    Path local = out.resolve("local");
    assertThat(run("render", "--local", "--pack", PACK, "--prompt", "a green square", "--out", local.toString(),
        "--width", "64", "--height", "64", "--frames", "5", "--steps", "3", "--seed", "4")).isZero();
    assertThat(Mp4Reader.readAll(out.resolve("a-green-square-s4.mp4")))
        .isEqualTo(Mp4Reader.readAll(local.resolve("a-green-square-s4.mp4")));
  }

  /**
   * The reduced Wan2.1 pack (random weights, so the clip is noise) through the farm and in process:
   * its defaults (128x96, 17 frames at 16 fps, no upsampler), UniPC, the first-latent decoder, and
   * the same frames both ways.
   */
  @Test
  void theReducedWanPackRendersThroughTheServicesAsInProcess() throws Exception {
    int code = run("render", "--pack", WAN_PACK, "--prompt", "a red ball bouncing", "--out", out.toString(),
        "--steps", "3", "--seed", "7");
    assertThat(code).as(err.toString()).isZero();
    Mp4Reader.VideoInfo info = Mp4Reader.probe(out.resolve("a-red-ball-bouncing-s7.mp4"));
    assertThat(info.width()).isEqualTo(128);
    assertThat(info.height()).isEqualTo(96);
    assertThat(info.frames()).isEqualTo(17);
    assertThat(Files.readString(out.resolve("a-red-ball-bouncing-s7.json")))
        .contains("\"name\" : \"wan2.1-t2v-reduced\"").contains("\"upsampled\" : false");
    Path local = out.resolve("local");
    assertThat(run("render", "--local", "--pack", WAN_PACK, "--prompt", "a red ball bouncing", "--out", local.toString(),
        "--steps", "3", "--seed", "7")).as(err.toString()).isZero();
    assertThat(Mp4Reader.readAll(out.resolve("a-red-ball-bouncing-s7.mp4")))
        .isEqualTo(Mp4Reader.readAll(local.resolve("a-red-ball-bouncing-s7.mp4")));
  }

  @Test
  void nothingToRenderIsAUsageError() {
    assertThat(run("render", "--local", "--out", out.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("nothing to render");
  }

  @Test
  void jobIdsAreReadableAndUnique() {
    Set<String> taken = new HashSet<>();
    assertThat(RenderCommand.uniqueId("A red ball, bouncing!", 3, taken)).isEqualTo("a-red-ball-bouncing-s3");
    assertThat(RenderCommand.uniqueId("a red ball bouncing", 3, taken)).isEqualTo("a-red-ball-bouncing-s3-2");
    assertThat(RenderCommand.uniqueId("???", 1, taken)).isEqualTo("clip-s1");
    assertThat(RenderCommand.uniqueId("an extremely long prompt about a very small red ball", 1, taken))
        .isEqualTo("an-extremely-long-prompt-about-a-very-s1");
  }
}
