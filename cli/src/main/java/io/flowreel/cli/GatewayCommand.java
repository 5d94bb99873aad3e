package io.flowreel.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What the commands that talk to a running gateway share: where it is, and how a refusal becomes
 * a message and an exit code (2 for a request the gateway refused, 1 when it could not answer).
 */
abstract class GatewayCommand implements Callable<Integer> {


  @Spec CommandSpec command;

  @Mixin GatewayOptions gatewayOptions;

  @Override
  public final Integer call() throws Exception {
    try {
      return run(gatewayOptions.client(), command.commandLine().getOut());
    } catch (GatewayClient.GatewayException e) {
      PrintWriter err = command.commandLine().getErr();
      err.println("flowreel " + command.name() + ": " + e.getMessage());
      err.flush();
      return e.status() >= 400 && e.status() < 500 ? 2 : 1;
    }
  }

  abstract int run(GatewayClient gateway, PrintWriter out) throws Exception;
}
