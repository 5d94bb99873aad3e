package io.flowreel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.contract.Ids;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flowreel status [ID]}: where a batch or a job stands. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show a batch (counts per state and its jobs) or a job (state, stage, progress, attempts, error, "
        + "outputs). Without ID: the batch last submitted from this checkout.")
final class StatusCommand extends GatewayCommand {

  @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "A batch id (b-...) or a job id (b-...-NNNNNN).")
  String id;

  @Option(names = "--json", description = "Print the API's JSON as it is.")
  boolean json;

  @Override
  int run(GatewayClient gateway, PrintWriter out) throws Exception {
    String target = id != null ? id : lastBatch();
    if (Ids.GENERATED_BATCH_ID.matcher(target).matches()) {
      JsonNode batch = gateway.batch(target);
      JsonNode jobs = gateway.batchJobs(target, 0, 1000);
      if (json) {
        print(out, batch);
        print(out, jobs);
        return 0;
      }
      out.printf("batch %s: %d jobs, %d queued, %d running, %d succeeded, %d failed, %d cancelled%n", target,
          batch.path("total").asInt(), batch.path("queued").asInt(), batch.path("running").asInt(),
          batch.path("succeeded").asInt(), batch.path("failed").asInt(), batch.path("cancelled").asInt());
      for (JsonNode job : jobs.path("jobs")) {
        out.println("  " + summary(job));
      }
      if (jobs.hasNonNull("next")) {
        out.println("  ... (first 1000 shown)");
      }
    } else {
      JsonNode job = gateway.job(target);
      if (json) {
        print(out, job);
        return 0;
      }
      out.println(summary(job));
      out.println("  prompt: " + job.path("prompt").asText());
      if (job.hasNonNull("rewrittenPrompt")) {
        out.println("  rendered as: " + job.path("rewrittenPrompt").asText());
      }
      for (JsonNode stage : job.path("stages")) {
        out.printf("  %-8s attempt %d  %-9s %s%s%n", stage.path("stage").asText(), stage.path("attempt").asInt(),
            stage.path("state").asText(), stage.has("durationMillis") ? stage.path("durationMillis").asLong() + " ms" : "",
            stage.has("step") ? "  step " + stage.path("step").asInt() + "/" + stage.path("totalSteps").asInt() : "");
      }
      for (JsonNode output : job.path("outputs")) {
        out.printf("  %s: %s%n", output.path("name").asText(), output.path("url").asText());
      }
    }
    out.flush();
    return 0;
  }

  static String summary(JsonNode job) {
    String line = String.format("%s  %-9s %-8s %3.0f%%  attempt %d", job.path("id").asText(),
        job.path("state").asText(), job.path("stage").asText("-"), 100 * job.path("progress").asDouble(),
        job.path("attempt").asInt());
    if (job.path("paused").asBoolean()) {
      line += "  paused";
    }
    return job.hasNonNull("error") ? line + "  " + job.path("error").asText() : line;
  }

  private static void print(PrintWriter out, JsonNode node) throws Exception {
    out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(node));
  }

  private static String lastBatch() throws Exception {
    Path last = GatewayOptions.stateDir().resolve("last-batch");
    if (!Files.isRegularFile(last)) {
      throw new GatewayClient.GatewayException(400, "no ID given and no batch submitted from this checkout yet");
    }
    return Files.readString(last).trim();
  }
}
