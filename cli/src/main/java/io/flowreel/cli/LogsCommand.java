package io.flowreel.cli;

import io.flowreel.infra.LocalStack;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flowreel logs SERVICE}: a service's log from the data folder of {@code flowreel up}. */
@Command(name = "logs", mixinStandardHelpOptions = true,
    description = {"Print the end of a log that 'flowreel up' keeps in its data folder (logs/, kept after it stops).",
        "SERVICE is a service (its first instance: gateway, tracker, prompt-rewriter, text-encoder, denoiser, "
            + "decoder, upsampler, publisher), an instance (denoiser-2), kafka or s3."})
final class LogsCommand implements Callable<Integer> {

  private static final long FOLLOW_POLL_MILLIS = 250;

  @Spec CommandSpec command;

  @Parameters(paramLabel = "SERVICE", description = "Which log.")
  String service;

  @Option(names = {"-n", "--lines"}, defaultValue = "100", description = "How many lines from the end (default ${DEFAULT-VALUE}).")
  int lines;

  @Option(names = {"-f", "--follow"}, description = "Keep printing what is written to it, until Ctrl-C.")
  boolean follow;

  @Option(names = "--data", paramLabel = "DIR", description = "Data folder of 'up' (default: that of the running or last 'up').")
  Path data;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = command.commandLine().getOut();
    PrintWriter err = command.commandLine().getErr();
    Path dir = data != null ? data
        : UpCommand.recorded().map(UpCommand.Recorded::data).orElse(UpCommand.defaultData());
    Path log = logOf(dir, service);
    if (log == null) {
      err.printf("flowreel logs: no service '%s'; one of %s, an instance such as denoiser-2, kafka or s3%n", service,
          String.join(", ", LocalStack.ALL_SERVICES));
      return 2;
    }
    if (!Files.isRegularFile(log)) {
      err.printf("flowreel logs: %s does not exist (has 'flowreel up' run with data folder %s?)%n", log, dir);
      return 1;
    }
    long position;
    try (Stream<String> all = Files.lines(log, StandardCharsets.UTF_8)) {
      Deque<String> last = new ArrayDeque<>();
      all.forEach(line -> {
        last.addLast(line);
        if (last.size() > lines) {
          last.removeFirst();
        }
      });
      last.forEach(out::println);
      position = Files.size(log);
    }
    out.flush();
    try {
      while (follow) {
        position = printFrom(log, position, out);
        Thread.sleep(FOLLOW_POLL_MILLIS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // asked to stop following: not a failure
    }
    return 0;
  }

  /** The log file SERVICE names under the data folder, or null if it names none. */
  static Path logOf(Path dir, String service) {
    if (service.equals("kafka")) {
      return dir.resolve("kafka").resolve("broker.log");
    }
    if (service.equals("s3")) {
      return dir.resolve("s3").resolve("s3proxy.log");
    }
    String instance = LocalStack.ALL_SERVICES.contains(service) ? service + "-1" : service;
    boolean known = LocalStack.ALL_SERVICES.stream().anyMatch(s -> instance.matches(s + "-[1-9][0-9]{0,2}"));
    return known ? dir.resolve("logs").resolve(instance + ".log") : null;
  }

  /** Prints what the log gained since {@code position}; a log that was started anew is read from its start. */
  private static long printFrom(Path log, long position, PrintWriter out) throws IOException {
    long size = Files.size(log);
    long from = size < position ? 0 : position;
    if (size == from) {
      return from;
    }
    try (InputStream in = Files.newInputStream(log)) {
      in.skipNBytes(from);
      out.print(new String(in.readNBytes((int) Math.min(Integer.MAX_VALUE, size - from)), StandardCharsets.UTF_8));
      out.flush();
    }
    return size;
  }
}
