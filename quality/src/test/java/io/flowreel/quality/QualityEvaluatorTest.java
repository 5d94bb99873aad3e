package io.flowreel.quality;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.media.Mp4Writer;
import io.flowreel.media.RgbFrame;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The evaluator on clips written as {@code flowreel render --local} writes them; no model involved. */
class QualityEvaluatorTest {

  private static final World WORLD = SyntheticClips.world();
  private static final String RED = "a red ball going right on a gray floor";
  private static final String GREEN = "a green box sinking against a black background";

  @TempDir
  Path dir;

  private Path prompts;
  private Path rendered;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void writeClips() throws IOException {
    prompts = dir.resolve("prompts.jsonl");
    Files.writeString(prompts, """
        {"prompt": "%s", "seed": 4, "colour": "red", "shape": "circle", "motion": "right", "background": "gray"}
        {"prompt": "%s", "seed": 5, "colour": "green", "shape": "square", "motion": "down", "background": "black"}
        """.formatted(RED, GREEN));
    rendered = Files.createDirectories(dir.resolve("rendered"));
    // Each clip sits under the other's name: only its manifest says which prompt it shows.
    writeClip(rendered, "a-green-box-s5", RED, 4, SyntheticClips.scene("red", "circle", "right", "gray"));
    writeClip(rendered, "a-red-ball-s4", GREEN, 5, SyntheticClips.scene("green", "square", "down", "black"));
  }

  private int evaluate(String... args) {
    CommandLine cli = new CommandLine(new QualityEvaluator());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    List<String> all = new ArrayList<>(List.of("--world", SyntheticClips.repo().resolve("tools/synthetic_world.json")
        .toString(), "--prompts", prompts.toString()));
    all.addAll(List.of(args));
    return cli.execute(all.toArray(String[]::new));
  }

  @Test
  void measuresTheClipsFoundThroughTheirManifests() throws IOException {
    Path outDir = dir.resolve("out");
    copy(rendered, Files.createDirectories(outDir.resolve("clips")));

    assertThat(evaluate("--out", outDir.toString(), "--skip-render")).as(err.toString()).isZero();

    assertThat(out.toString()).contains("colour 2/2 (100.0%)", "shape 2/2 (100.0%)", "motion 2/2 (100.0%)",
        "misses: 0");
    JsonNode report = new ObjectMapper().readTree(outDir.resolve("report.json").toFile());
    assertThat(report.at("/totals/motion/correct").asInt()).isEqualTo(2);
    assertThat(report.at("/clips/0/prompt").asText()).isEqualTo(RED);
    assertThat(report.at("/clips/0/video").asText()).isEqualTo("a-green-box-s5.mp4");
    assertThat(Files.readString(outDir.resolve("report.md"))).contains("| motion | 2/2 | 100.0% |");
  }

  @Test
  void aPromptWithoutAClipFails() throws IOException {
    Path outDir = dir.resolve("out");
    Path clips = Files.createDirectories(outDir.resolve("clips"));
    copy(rendered, clips);
    Files.delete(clips.resolve("a-red-ball-s4.mp4"));

    assertThat(evaluate("--out", outDir.toString(), "--skip-render")).isNotZero();
    assertThat(err.toString()).contains("1 of 2 prompts have no clip", GREEN);
    assertThat(outDir.resolve("report.json")).doesNotExist();
    assertThat(evaluate("--out", outDir.toString(), "--skip-render", "--limit", "1")).as("only the first prompt")
        .isZero();
  }

  @Test
  void rendersThroughTheFlowreelCommand() throws IOException {
    Path outDir = dir.resolve("out");
    Path argsFile = dir.resolve("args.txt");
    // Stands in for ./flowreel: records its arguments, then "renders" by copying the prepared clips.
    Path fake = script("fake-flowreel", "echo \"$@\" > '" + argsFile + "'\ncp '" + rendered + "'/* \"$6\"\n");

    assertThat(evaluate("--out", outDir.toString(), "--flowreel", fake.toString())).as(err.toString()).isZero();

    Path clips = outDir.resolve("clips").toAbsolutePath().normalize();
    Path jobs = outDir.resolve("prompts.jsonl");
    assertThat(Files.readString(argsFile).strip()).isEqualTo("render --local --prompts " + jobs + " --out " + clips);
    assertThat(Files.readAllLines(jobs)).containsExactly("{\"prompt\":\"" + RED + "\",\"seed\":4}",
        "{\"prompt\":\"" + GREEN + "\",\"seed\":5}");
    assertThat(out.toString()).contains("colour 2/2 (100.0%)");
  }

  @Test
  void aFailedRenderFails() throws IOException {
    Path fake = script("failing-flowreel", "exit 3\n");

    assertThat(evaluate("--out", dir.resolve("out").toString(), "--flowreel", fake.toString())).isNotZero();
    assertThat(err.toString()).contains("exit code 3");
  }

  private Path script(String name, String body) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
    return file;
  }

  private static void writeClip(Path folder, String jobId, String prompt, long seed, SyntheticClips.Scene scene)
      throws IOException {
    try (Mp4Writer writer = new Mp4Writer(folder.resolve(jobId + ".mp4"), SyntheticClips.SIZE, SyntheticClips.SIZE,
        8)) {
      for (RgbFrame frame : SyntheticClips.draw(WORLD, scene)) {
        writer.write(frame);
      }
    }
    // The fields of a local render's manifest that the evaluator reads, as PublishStage writes them.
    ObjectMapper json = new ObjectMapper();
    var manifest = json.createObjectNode().put("jobId", jobId).put("prompt", prompt).put("seed", seed);
    manifest.putObject("outputs").put("video", jobId + ".mp4").put("poster", jobId + ".png");
    json.writeValue(folder.resolve(jobId + ".json").toFile(), manifest);
  }

  private static void copy(Path from, Path to) throws IOException {
    try (var files = Files.list(from)) {
      for (Path file : files.toList()) {
        Files.copy(file, to.resolve(file.getFileName()));
      }
    }
  }
}
