package io.flowreel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowreel.contract.Ids;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code flowreel retry ID [--from STAGE]}: re-run a finished job, or every failed job of a batch,
 * reusing what earlier stages stored.
 */
@Command(name = "retry", mixinStandardHelpOptions = true,
    description = "Re-run a failed, cancelled or finished job from a stage (default: the stage that failed), or "
        + "every failed job of a batch from the stage each failed at. Earlier stages do not run again: their "
        + "stored results are reused.")
final class RetryCommand extends GatewayCommand {

  @Parameters(index = "0", paramLabel = "ID", description = "A job id (b-...-NNNNNN) or a batch id (b-...).")
  String id;

  @Option(names = "--from", paramLabel = "STAGE",
      description = "For a job: rewrite, encode, denoise, decode, upsample or publish (required for a job that "
          + "succeeded).")
  String from;

  @Override
  int run(GatewayClient gateway, PrintWriter out) throws Exception {
    if (Ids.GENERATED_BATCH_ID.matcher(id).matches()) {
      if (from != null) {
        throw new ParameterException(command.commandLine(), "--from names one job's stage; a batch "
            + "retries each failed job from the stage it failed at");
      }
      JsonNode retried = gateway.retryBatch(id);
      out.printf("batch %s: %d failed jobs run again%n", id, retried.path("jobIds").size());
      out.flush();
      return 0;
    }
    JsonNode job = gateway.retry(id, from);
    out.printf("job %s: attempt %d %s from %s%n", id, job.path("attempt").asInt(),
        job.path("state").asText().toLowerCase(Locale.ROOT), job.path("stage").asText("the start"));
    out.flush();
    return 0;
  }
}
