package io.flowreel.cli;

import io.flowreel.contract.ApiKeys;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flowreel keys add}: a new API key for a studio, for a gateway's keys file. */
@Command(name = "keys", mixinStandardHelpOptions = true, subcommands = KeysCommand.Add.class,
    description = "Manage a gateway's API keys file (docs/api.md, Authentication).")
final class KeysCommand {

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = {"Make a key for a tenant, append its sha256 to the keys file (created readable by its owner "
          + "only) and print the key: it is shown once and stored nowhere else.",
          "The gateway reads the file again when it changes; to revoke a key, delete its line."})
  static final class Add implements Callable<Integer> {

    @Spec CommandSpec command;

    @Option(names = "--tenant", required = true, description = "The studio the key acts as (lower-case letters, "
        + "digits and '-').")
    String tenant;

    @Option(names = "--operator", description = "An operator's key: sees and acts on every tenant's batches.")
    boolean operator;

    @Option(names = "--file", required = true, paramLabel = "FILE", description = "The gateway's keys file "
        + "(FLOWREEL_GATEWAY_API_KEYS_FILE).")
    Path file;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = command.commandLine().getOut();
      if (!ApiKeys.TENANT.matcher(tenant).matches()) {
        command.commandLine().getErr().printf("flowreel keys add: tenant '%s' must match %s%n", tenant,
            ApiKeys.TENANT.pattern());
        return 2;
      }
      out.println(ApiKeys.issue(file, tenant, operator ? ApiKeys.Role.OPERATOR : ApiKeys.Role.STUDIO));
      out.flush();
      return 0;
    }
  }
}
