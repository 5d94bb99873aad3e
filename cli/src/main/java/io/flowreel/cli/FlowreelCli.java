package io.flowreel.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./flowreel}: the entry point for studios and operators. */
@Command(name = "flowreel", mixinStandardHelpOptions = true, version = "flowreel 0.1.0",
    description = {"Render text-to-video clips with Flowreel.",
        "render: one command, everything started for the run. up: keep the farm running; then submit, status, "
            + "cancel and retry talk to its gateway."},
    subcommands = {RenderCommand.class, UpCommand.class, DownCommand.class, SubmitCommand.class, StatusCommand.class,
        CancelCommand.class, QueueCommands.Pause.class, QueueCommands.Resume.class, QueueCommands.Priority.class,
        RetryCommand.class, ListCommand.class, DeadLettersCommand.class, KeysCommand.class, LogsCommand.class, ScaleCommand.class,
        CompletionCommand.class})
public final class FlowreelCli {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new FlowreelCli());
  }
}
