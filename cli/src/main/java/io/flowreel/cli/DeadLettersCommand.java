package io.flowreel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowreel.contract.Stages;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flowreel dead-letters}: what the stages gave up on, and the command that runs each again. */
@Command(name = "dead-letters", mixinStandardHelpOptions = true,
    description = "List the tasks each stage gave up on (oldest first), with the cause and the command that runs "
        + "the job again from that stage.")
final class DeadLettersCommand extends GatewayCommand {

  @Option(names = "--stage", paramLabel = "STAGE",
      description = "Only this stage: rewrite, encode, denoise, decode, upsample or publish.")
  String stage;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most this many per stage.")
  int limit;

  @Override
  int run(GatewayClient gateway, PrintWriter out) throws Exception {
    List<String> stages = stage != null ? List.of(stage) : Stages.PIPELINE.stream().map(Stages::id).toList();
    int shown = 0;
    for (String id : stages) {
      String path = "/v1/dead-letters?stage=" + id + "&limit=" + Math.min(Math.max(limit, 1), 1000);
      int ofStage = 0;
      while (path != null && ofStage < limit) {
        JsonNode page = gateway.list(path);
        for (JsonNode letter : page.path("deadLetters")) {
          if (ofStage == limit) {
            break;
          }
          out.printf("%-8s %s  attempt %d, tried %d times, %s: %s%n", id, letter.path("jobId").asText(),
              letter.path("attempt").asInt(), letter.path("deliveryAttempts").asInt(),
              letter.path("deadLetteredAt").asText(), letter.path("error").asText());
          boolean retried = letter.path("jobAttempt").asInt() > letter.path("attempt").asInt();
          out.println(retried
              ? "         retried since: now attempt " + letter.path("jobAttempt").asInt() + ", "
                  + letter.path("jobState").asText()
              : "         run it again: flowreel retry " + letter.path("jobId").asText() + " --from " + id);
          ofStage++;
        }
        path = page.path("next").isTextual() ? page.path("next").asText() : null;
      }
      shown += ofStage;
    }
    if (shown == 0) {
      out.println("no dead letters" + (stage == null ? "" : " at " + stage));
    }
    out.flush();
    return 0;
  }
}
