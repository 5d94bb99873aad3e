package io.flowreel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowreel.contract.Ids;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code flowreel pause|resume|priority ID}: steer the queued work of a batch or a job. */
final class QueueCommands {

  private QueueCommands() {}

  @Command(name = "pause", mixinStandardHelpOptions = true,
      description = "Pause a batch or a job: its queued work is not handed out until resumed; running tasks finish "
          + "their stage.")
  static final class Pause extends GatewayCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "A batch id (b-...) or a job id (b-...-NNNNNN).")
    String id;

    @Override
    int run(GatewayClient gateway, PrintWriter out) throws Exception {
      return steered(out, id, gateway.steer(id, isBatch(id), "pause", null), "pausing");
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true,
      description = "Resume a paused batch or job: its held work goes back where it waited.")
  static final class Resume extends GatewayCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "A batch id (b-...) or a job id (b-...-NNNNNN).")
    String id;

    @Override
    int run(GatewayClient gateway, PrintWriter out) throws Exception {
      return steered(out, id, gateway.steer(id, isBatch(id), "resume", null), "resuming");
    }
  }

  @Command(name = "priority", mixinStandardHelpOptions = true,
      description = "Change the priority of a batch's or a job's queued work (0 lowest, 9 highest); its later "
          + "stages run at it too.")
  static final class Priority extends GatewayCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "A batch id (b-...) or a job id (b-...-NNNNNN).")
    String id;

    @Parameters(index = "1", paramLabel = "PRIORITY", description = "0 to 9.")
    int priority;

    @Override
    int run(GatewayClient gateway, PrintWriter out) throws Exception {
      return steered(out, id, gateway.steer(id, isBatch(id), "priority", priority), "priority " + priority + " for");
    }
  }

  private static boolean isBatch(String id) {
    return Ids.GENERATED_BATCH_ID.matcher(id).matches();
  }

  private static int steered(PrintWriter out, String id, JsonNode answer, String doing) {
    if (isBatch(id)) {
      out.printf("batch %s: %s its %d unfinished jobs%n", id, doing,
          answer.path("total").asInt() - answer.path("done").asInt());
    } else {
      out.printf("job %s: %s it (%s at %s)%n", id, doing, answer.path("state").asText(), answer.path("stage").asText("-"));
    }
    out.flush();
    return 0;
  }
}
