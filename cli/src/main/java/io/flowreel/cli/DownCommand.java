package io.flowreel.cli;

import io.flowreel.infra.DataDirs;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flowreel down}: stop what {@code flowreel up} runs; its data stays unless asked otherwise. */
@Command(name = "down", mixinStandardHelpOptions = true,
    description = "Stop the farm 'flowreel up' runs (as Ctrl-C does). Its queue, objects and status stay in the "
        + "data folder, and the next 'up' resumes them, unless --delete-data.")
final class DownCommand implements Callable<Integer> {

  private static final long STOP_SECONDS = 90;

  @Spec CommandSpec command;

  @Option(names = "--delete-data", description = "Also delete the data folder: every queued job, object and status.")
  boolean deleteData;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = command.commandLine().getOut();
    PrintWriter err = command.commandLine().getErr();
    Optional<UpCommand.Recorded> recorded = UpCommand.recorded();
    Optional<ProcessHandle> up = recorded.flatMap(UpCommand.Recorded::running);
    if (up.isPresent()) {
      up.get().destroy(); // SIGTERM: the same orderly stop as Ctrl-C
      try {
        up.get().onExit().get(STOP_SECONDS, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        err.printf("flowreel down: pid %d has not stopped after %d s%n", up.get().pid(), STOP_SECONDS);
        return 1;
      }
      out.printf("flowreel down: stopped (pid %d)%n", up.get().pid());
    } else {
      out.println("flowreel down: nothing is up");
    }
    if (deleteData) {
      Path dir = recorded.map(UpCommand.Recorded::data).orElse(UpCommand.defaultData());
      DataDirs.delete(dir);
      out.printf("flowreel down: deleted %s%n", dir);
    }
    out.flush();
    return 0;
  }
}
