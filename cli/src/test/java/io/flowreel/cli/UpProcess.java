package io.flowreel.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code flowreel up} in its own process, as a person runs it in a terminal: started, and its
 * gateway's address read from what it prints. Its output keeps being drained (and kept, for
 * failure messages) so that it never blocks on a full pipe.
 */
final class UpProcess {

  static final Duration UP_TIMEOUT = Duration.ofMinutes(5);
  private static final Pattern READY = Pattern.compile("Flowreel is up in [0-9.]+ s: gateway (\\S+) ");

  private final Process process;
  private final String gateway;
  private final List<String> output;
  private final Path state;

  private UpProcess(Process process, String gateway, List<String> output, Path state) {
    this.process = process;
    this.gateway = gateway;
    this.output = output;
    this.state = state;
  }

  /** Starts {@code up --port 0} plus {@code args}, remembering its state under {@code state}; returns once it is up. */
  static UpProcess start(Path state, String... args) throws Exception {
    Path argFile = state.resolveSibling("java.args");
    Files.writeString(argFile, "-cp " + System.getProperty("java.class.path") + "\n");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dflowreel.home=" + System.getProperty("flowreel.repo"), "-Dflowreel.state=" + state, "@" + argFile,
        FlowreelCli.class.getName(), "up", "--port", "0"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<String> address = new CompletableFuture<>();
    Thread drain = new Thread(() -> {
      try {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          output.add(line);
          Matcher m = READY.matcher(line);
          if (m.find()) {
            address.complete(m.group(1));
          }
        }
      } catch (Exception e) {
        // the process is gone
      }
      address.completeExceptionally(new IllegalStateException("flowreel up ended before it was up:\n"
          + String.join("\n", output)));
    }, "up-output");
    drain.setDaemon(true);
    drain.start();
    try {
      return new UpProcess(process, address.get(UP_TIMEOUT.toSeconds(), TimeUnit.SECONDS), output, state);
    } catch (java.util.concurrent.TimeoutException e) {
      // Say which server or service never became ready, not only that the wait ran out; then stop it all, so
      // that a hung farm does not outlive the test.
      String where = whereItWaits(process, state.resolve("up").resolve("logs"));
      killTree(process);
      throw new AssertionError("flowreel up was not up within " + UP_TIMEOUT + "; it printed:\n"
          + String.join("\n", output) + "\n" + where, e);
    }
  }

  /**
   * The end of every log a hung {@code up} has written so far, then its main thread (jstack): the logs first,
   * since a failure report may be cut short.
   */
  private static String whereItWaits(Process process, Path logs) {
    StringBuilder out = new StringBuilder();
    try (var files = Files.list(logs)) {
      List<Path> all = new ArrayList<>(files.sorted().toList());
      all.add(logs.resolveSibling("kafka").resolve("broker.log"));
      for (Path log : all) {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
            .filter(line -> !line.contains("Reporting health down status")).toList();
        out.append("--- ").append(log.getFileName()).append(" (last 8 lines, health probes left out)\n");
        lines.subList(Math.max(0, lines.size() - 8), lines.size())
            .forEach(line -> out.append(line, 0, Math.min(line.length(), 400)).append('\n'));
      }
    } catch (Exception e) {
      out.append("(").append(e).append(")\n");
    }
    try {
      Process jstack = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jstack").toString(),
          Long.toString(process.pid())).redirectErrorStream(true).start();
      String threads = new String(jstack.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int main = threads.indexOf("\"main\"");
      String mainThread = main < 0 ? threads : threads.substring(main, Math.max(main, threads.indexOf("\n\n", main)));
      out.append("--- main thread of flowreel up\n").append(mainThread, 0, Math.min(mainThread.length(), 3_000));
    } catch (Exception e) {
      out.append("(").append(e).append(")\n");
    }
    return out.toString();
  }

  String gateway() {
    return gateway;
  }

  /** The local key {@code up} wrote for the other commands. */
  String apiKey() throws java.io.IOException {
    return Files.readString(state.resolve(GatewayOptions.API_KEY_FILE)).strip();
  }

  Process process() {
    return process;
  }

  /** Everything it printed so far. */
  String output() {
    synchronized (output) {
      return String.join("\n", output);
    }
  }

  /** SIGKILL to {@code up} and every process under it at once, as when the machine loses power. */
  List<ProcessHandle> killTree() {
    return killTree(process);
  }

  private static List<ProcessHandle> killTree(Process process) {
    List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
    all.add(process.toHandle());
    all.forEach(ProcessHandle::destroyForcibly);
    return all;
  }
}
