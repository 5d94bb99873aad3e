package io.flowreel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowreel.contract.Ids;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code flowreel cancel ID}: stop a job or every unfinished job of a batch. */
@Command(name = "cancel", mixinStandardHelpOptions = true,
    description = "Cancel a job, or every unfinished job of a batch. Running jobs stop at the next denoising step "
        + "or stage; finished ones keep their outputs.")
final class CancelCommand extends GatewayCommand {

  @Parameters(index = "0", paramLabel = "ID", description = "A batch id (b-...) or a job id (b-...-NNNNNN).")
  String id;

  @Override
  int run(GatewayClient gateway, PrintWriter out) throws Exception {
    if (Ids.GENERATED_BATCH_ID.matcher(id).matches()) {
      JsonNode batch = gateway.cancelBatch(id);
      out.printf("batch %s: cancelling its %d unfinished jobs%n", id,
          batch.path("total").asInt() - batch.path("done").asInt());
    } else {
      JsonNode job = gateway.cancelJob(id);
      out.printf("job %s: cancelling (was %s at %s)%n", id, job.path("state").asText(), job.path("stage").asText("-"));
    }
    out.flush();
    return 0;
  }
}
