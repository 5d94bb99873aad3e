package io.flowreel.quality;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowreel.media.Mp4Reader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Renders the evaluation prompts with {@code flowreel render --local}, measures every clip and scores it
 * against what its prompt asked for. A measuring tool: it exits 0 whatever the accuracy, and non-zero only
 * when rendering fails or a prompt has no clip (a score over fewer clips would mislead).
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, version = "flowreel quality evaluator 0.1.0",
    description = "Render the evaluation prompts, measure what each clip shows and score it against the prompt.")
public final class QualityEvaluator implements Callable<Integer> {

  static final int EXIT_FAILED = 1;

  @Spec CommandSpec command;

  @Option(names = "--prompts", defaultValue = "tools/quality_prompts.jsonl", paramLabel = "FILE.jsonl",
      description = "Evaluation list: {\"prompt\", \"seed\", \"colour\", \"shape\", \"motion\", \"background\"} per line "
          + "(default ${DEFAULT-VALUE}).")
  Path prompts;

  @Option(names = "--out", defaultValue = "target/quality", paramLabel = "DIR",
      description = "Clips go to DIR/clips, the report to DIR/report.json and DIR/report.md (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--flowreel", defaultValue = "./flowreel", paramLabel = "COMMAND",
      description = "The flowreel command that renders (default ${DEFAULT-VALUE}).")
  Path flowreel;

  @Option(names = "--world", defaultValue = "tools/synthetic_world.json", paramLabel = "FILE",
      description = "Palette, shapes and motions of the synthetic world (default ${DEFAULT-VALUE}).")
  Path worldFile;

  @Option(names = "--pack", paramLabel = "DIR", description = "Render with this model pack (default: render's).")
  Path pack;

  @Option(names = "--limit", paramLabel = "N", description = "Only the first N prompts.")
  Integer limit;

  @Option(names = "--skip-render", description = "Measure the clips already in DIR/clips.")
  boolean skipRender;

  /** A rendered clip is found through its manifest by the prompt and seed it was rendered from. */
  private record ClipKey(String prompt, long seed) {
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new QualityEvaluator()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = command.commandLine().getOut();
    PrintWriter err = command.commandLine().getErr();
    World world = World.load(worldFile);
    List<PromptCase> cases = PromptCase.readAll(prompts);
    if (limit != null) {
      cases = cases.subList(0, Math.min(Math.max(limit, 0), cases.size()));
    }
    if (cases.isEmpty()) {
      err.println("evaluate: no prompts in " + prompts);
      return EXIT_FAILED;
    }
    Path clips = out.resolve("clips").toAbsolutePath().normalize();
    Files.createDirectories(clips);
    if (!skipRender) {
      int exit = render(cases, clips);
      if (exit != 0) {
        err.println("evaluate: " + flowreel + " render failed with exit code " + exit);
        return EXIT_FAILED;
      }
    }

    Map<ClipKey, Path> videos = videosByManifest(clips, err);
    List<PromptCase> missing = cases.stream().filter(c -> !videos.containsKey(key(c))).toList();
    if (!missing.isEmpty()) {
      err.println("evaluate: " + missing.size() + " of " + cases.size() + " prompts have no clip in " + clips + ":");
      missing.forEach(c -> err.println("  \"" + c.prompt() + "\" (seed " + c.seed() + ")"));
      return EXIT_FAILED;
    }

    ClipMeasurer measurer = new ClipMeasurer(world);
    QualityReport report = new QualityReport(world);
    for (PromptCase c : cases) {
      Path video = videos.get(key(c));
      report.add(c, clips.relativize(video).toString(), measurer.measure(Mp4Reader.readAll(video)));
    }

    String text = report.text();
    stdout.print(text);
    stdout.flush();
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("report.json").toFile(),
        report.json());
    Files.writeString(out.resolve("report.md"), report.markdown());
    err.println("evaluate: wrote " + out.resolve("report.json") + " and " + out.resolve("report.md"));
    return 0;
  }

  private int render(List<PromptCase> cases, Path clips) throws IOException, InterruptedException {
    ObjectMapper json = new ObjectMapper();
    StringBuilder jobs = new StringBuilder();
    for (PromptCase c : cases) {
      jobs.append(json.createObjectNode().put("prompt", c.prompt()).put("seed", c.seed())).append('\n');
    }
    Path jobsFile = out.resolve("prompts.jsonl");
    Files.writeString(jobsFile, jobs);
    List<String> commandLine = new ArrayList<>(List.of(flowreel.toString(), "render", "--local", "--prompts",
        jobsFile.toString(), "--out", clips.toString()));
    if (pack != null) {
      commandLine.addAll(List.of("--pack", pack.toString()));
    }
    command.commandLine().getErr().println("evaluate: " + String.join(" ", commandLine));
    return new ProcessBuilder(commandLine).inheritIO().start().waitFor();
  }

  /**
   * Every render manifest in {@code clips} by the prompt and seed it records. The video's name comes from
   * the manifest too: job ids are derived from prompts, and two prompts may share a slug.
   */
  private static Map<ClipKey, Path> videosByManifest(Path clips, PrintWriter err) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Path> manifests;
    try (Stream<Path> files = Files.list(clips)) {
      manifests = files.filter(p -> p.getFileName().toString().endsWith(".json")
          && !p.getFileName().toString().startsWith(".")).sorted().toList();
    }
    Map<ClipKey, Path> videos = new HashMap<>();
    List<String> unreadable = new ArrayList<>();
    for (Path manifest : manifests) {
      JsonNode m = json.readTree(manifest.toFile());
      JsonNode video = m.path("outputs").path("video");
      if (!m.hasNonNull("prompt") || !m.hasNonNull("seed") || !video.isTextual()) {
        unreadable.add(manifest.getFileName().toString());
        continue;
      }
      Path file = clips.resolve(video.asText()).normalize();
      if (Files.isRegularFile(file)) {
        videos.put(new ClipKey(m.get("prompt").asText(), m.get("seed").asLong()), file);
      }
    }
    if (!unreadable.isEmpty()) {
      // Not fatal: a prompt whose clip this hides is reported missing anyway.
      err.println("evaluate: not render manifests, ignored: " + unreadable);
    }
    return videos;
  }

  private static ClipKey key(PromptCase c) {
    return new ClipKey(c.prompt(), c.seed());
  }
}
