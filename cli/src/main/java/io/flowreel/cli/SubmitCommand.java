package io.flowreel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flowreel submit FILE}: a batch to a running gateway. */
@Command(name = "submit", mixinStandardHelpOptions = true,
    description = {"Submit a batch to a running gateway: FILE.jsonl (one job per line; a first line "
        + "{\"defaults\": {...}} may carry shared values) or FILE.json ({\"defaults\": {...}, \"jobs\": [...]} or an "
        + "array of jobs). Job fields: prompt, negativePrompt, seed, width, height, frames, fps, steps, guidance, shift, "
        + "pack, priority, rewrite, upsample, callbackUrl.",
        "Prints the batch id and its job ids; with --wait follows the batch to its end with a progress line per job."})
final class SubmitCommand extends GatewayCommand {

  @Parameters(index = "0", paramLabel = "FILE", description = "The batch, .jsonl or .json.")
  Path file;

  @Option(names = "--wait", description = "Follow the batch until every job has finished; exit 1 if any did not succeed.")
  boolean waitForEnd;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Follow the batch as --wait does and download each clip, poster and manifest here.")
  Path out;

  @Option(names = "--idempotency-key", paramLabel = "KEY",
      description = "Submitting again with the same key and file returns the same batch instead of a new one.")
  String idempotencyKey;

  @Override
  int run(GatewayClient gateway, PrintWriter out) throws Exception {
    String name = file.getFileName().toString();
    String type = name.endsWith(".jsonl") || name.endsWith(".ndjson") ? "application/x-ndjson" : "application/json";
    JsonNode submitted = gateway.submit(Files.readAllBytes(file), type, idempotencyKey);
    JsonNode batch = submitted.path("batch");
    String batchId = batch.path("id").asText();
    Files.createDirectories(GatewayOptions.stateDir());
    Files.writeString(GatewayOptions.stateDir().resolve("last-batch"), batchId + "\n");
    out.printf("batch %s: %d jobs%n", batchId, batch.path("total").asInt());
    submitted.path("jobIds").forEach(id -> out.println("  " + id.asText()));
    out.flush();
    if (!waitForEnd && this.out == null) {
      return 0;
    }
    AtomicBoolean interrupted = new AtomicBoolean();
    Thread hook = new Thread(() -> interrupted.set(true));
    Runtime.getRuntime().addShutdownHook(hook);
    Map<String, String> names = new LinkedHashMap<>();
    submitted.path("jobIds").forEach(id -> names.put(id.asText(), id.asText()));
    ProgressDisplay progress = new ProgressDisplay(out, System.console() != null);
    try {
      int failed = new BatchFollower(gateway, progress).follow(batchId, names, this.out, interrupted::get);
      out.printf("batch %s: %d of %d succeeded%n", batchId, names.size() - failed, names.size());
      return failed == 0 ? 0 : 1;
    } catch (InterruptedException e) {
      out.printf("batch %s: stopped following (%s); the batch was cancelled%n", batchId, e.getMessage());
      return 130;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is exiting: the hook has done its job
      }
    }
  }
}
