package io.flowreel.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code flowreel completion}: tab completion of commands and options, generated from the command model itself. */
@Command(name = "completion", mixinStandardHelpOptions = true,
    description = {"Print a bash completion script for flowreel's commands and options.",
        "In this shell: source <(./flowreel completion). For every shell: ./flowreel completion > "
            + "~/.local/share/bash-completion/completions/flowreel. zsh: run 'autoload -U +X bashcompinit && "
            + "bashcompinit' first."})
final class CompletionCommand implements Callable<Integer> {

  @Spec CommandSpec command;

  @Override
  public Integer call() {
    String script = AutoComplete.bash("flowreel", command.parent().commandLine());
    // bash matches the command word as typed: from a checkout that is ./flowreel, not flowreel.
    command.commandLine().getOut().print(script + "\ncomplete -F _complete_flowreel -o default ./flowreel\n");
    command.commandLine().getOut().flush();
    return 0;
  }
}
