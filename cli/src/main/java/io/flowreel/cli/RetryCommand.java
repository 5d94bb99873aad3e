package io.flowreel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flowreel retry JOB [--from STAGE]}: re-run a finished job, reusing what earlier stages stored. */
@Command(name = "retry", mixinStandardHelpOptions = true,
    description = "Re-run a failed, cancelled or finished job from a stage (default: the stage that failed). "
        + "Earlier stages do not run again: their stored results are reused.")
final class RetryCommand extends GatewayCommand {

  @Parameters(index = "0", paramLabel = "JOB", description = "A job id (b-...-NNNNNN).")
  String id;

  @Option(names = "--from", paramLabel = "STAGE",
      description = "rewrite, encode, denoise, decode, upsample or publish (required for a job that succeeded).")
  String from;

  @Override
  int run(GatewayClient gateway, PrintWriter out) throws Exception {
    JsonNode job = gateway.retry(id, from);
    out.printf("job %s: attempt %d %s from %s%n", id, job.path("attempt").asInt(),
        job.path("state").asText().toLowerCase(Locale.ROOT), job.path("stage").asText("the start"));
    out.flush();
    return 0;
  }
}
