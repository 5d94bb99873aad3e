package io.flowreel.cli;

import io.flowreel.infra.LocalStack;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code flowreel scale STAGE N}: how many instances of a stage the running {@code flowreel up} keeps. The command
 * writes what it wants into the data folder ({@code scale/<service>.wanted}); {@code up} notices within half a
 * second, starts or stops instances, and answers in {@code scale/<service>.status} under the request's token.
 */
@Command(name = "scale", mixinStandardHelpOptions = true,
    description = {"Run N instances of a stage on the farm 'flowreel up' keeps running: new ones start and join the "
        + "stage's share group; stopped ones finish their task or hand it back to the queue (none is lost). "
        + "0 stops a stage; its work waits until it is scaled up again.",
        "STAGE is a stage service (prompt-rewriter, text-encoder, denoiser, decoder, upsampler, publisher) or its "
            + "stage (rewrite, encode, denoise, decode, upsample, publish)."})
final class ScaleCommand implements Callable<Integer> {

  /** Starting a stage's JVMs and loading its pack can take a while on two busy cores. */
  private static final Duration WAIT = Duration.ofMinutes(5);
  private static final long POLL_MILLIS = 200;

  @Spec CommandSpec command;

  @Parameters(index = "0", paramLabel = "STAGE", description = "The stage service, or its stage.")
  String stage;

  @Parameters(index = "1", paramLabel = "N", description = "How many instances (0 or more).")
  int count;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = command.commandLine().getOut();
    PrintWriter err = command.commandLine().getErr();
    Optional<String> service = LocalStack.stageService(stage);
    if (service.isEmpty()) {
      err.printf("flowreel scale: '%s' is not a stage; one of %s (or rewrite, encode, denoise, decode, upsample, "
          + "publish)%n", stage, String.join(", ", LocalStack.STAGE_SERVICES));
      return 2;
    }
    if (count < 0 || count > Requests.MOST) {
      err.printf("flowreel scale: N must be between 0 and %d, not %d%n", Requests.MOST, count);
      return 2;
    }
    Optional<UpCommand.Recorded> up = UpCommand.recorded().filter(r -> r.running().isPresent());
    if (up.isEmpty()) {
      err.println("flowreel scale: no farm is up ('flowreel up' starts one; 'flowreel up --scale "
          + service.get() + "=" + count + "' starts it so)");
      return 1;
    }
    String token = UUID.randomUUID().toString();
    Requests.want(up.get().data(), service.get(), count, token);
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<String> answer = Requests.answer(up.get().data(), service.get(), token);
      if (answer.isPresent()) {
        if (answer.get().startsWith("error")) {
          err.printf("flowreel scale: %s: %s%n", service.get(), answer.get());
          return 1;
        }
        out.printf("%s: %d instance%s%n", service.get(), count, count == 1 ? "" : "s");
        return 0;
      }
      if (up.get().running().isEmpty()) {
        err.println("flowreel scale: 'flowreel up' stopped before it scaled " + service.get());
        return 1;
      }
      Thread.sleep(POLL_MILLIS);
    }
    err.printf("flowreel scale: %s not scaled to %d within %d s; 'flowreel logs %s-%d' may say why%n", service.get(),
        count, WAIT.toSeconds(), service.get(), Math.max(count, 1));
    return 1;
  }

  /** The files through which {@code scale} asks the running {@code up}, and {@code up} answers. */
  static final class Requests {

    /** Each instance is a JVM of up to 512 MB: more than this on one machine is a typing error. */
    static final int MOST = 16;

    private Requests() {}

    static Path dir(Path data) {
      return data.resolve("scale");
    }

    static void want(Path data, String service, int count, String token) throws IOException {
      write(dir(data).resolve(service + ".wanted"), count + " " + token);
    }

    /** {@code up}'s answer to the request {@code token}: "ok N" or "error: why"; empty until it has one. */
    static Optional<String> answer(Path data, String service, String token) throws IOException {
      Path status = dir(data).resolve(service + ".status");
      if (!Files.isRegularFile(status)) {
        return Optional.empty();
      }
      String text = Files.readString(status, StandardCharsets.UTF_8).trim();
      return text.startsWith(token + " ") ? Optional.of(text.substring(token.length() + 1)) : Optional.empty();
    }

    /**
     * For {@code up}: carries out every request not answered yet, one service after the other, telling
     * {@code progress} what it does.
     */
    static void serve(Path data, LocalStack stack, LocalStack.Plan plan, Map<String, String> answered,
        Consumer<String> progress) throws IOException {
      for (String service : LocalStack.STAGE_SERVICES) {
        Path wanted = dir(data).resolve(service + ".wanted");
        if (!Files.isRegularFile(wanted)) {
          continue;
        }
        String[] request = Files.readString(wanted, StandardCharsets.UTF_8).trim().split(" ", 2);
        if (request.length < 2 || request[1].equals(answered.get(service))) {
          continue;
        }
        String token = request[1];
        answered.put(service, token);
        String result;
        try {
          int count = Integer.parseInt(request[0]);
          int before = stack.instances(service);
          progress.accept("scaling " + service + " from " + before + " to " + count);
          stack.scale(service, count, plan, progress);
          progress.accept("scaled " + service + " to " + count);
          result = "ok " + count;
        } catch (RuntimeException e) {
          result = "error: " + e.getMessage();
          progress.accept("cannot scale " + service + ": " + e.getMessage());
        }
        write(dir(data).resolve(service + ".status"), token + " " + result);
      }
    }

    /** Parses {@code up --scale}: {@code denoiser=2,decoder=2} (stage names too), checked. */
    static Map<String, Integer> parse(String spec) {
      Map<String, Integer> counts = new LinkedHashMap<>();
      for (String part : spec.split(",")) {
        String[] pair = part.trim().split("=", 2);
        Optional<String> service = pair.length == 2 ? LocalStack.stageService(pair[0].trim()) : Optional.empty();
        if (service.isEmpty()) {
          throw new IllegalArgumentException("--scale takes STAGE=N,...: '" + part.trim() + "' names no stage ("
              + String.join(", ", LocalStack.STAGE_SERVICES) + ")");
        }
        int count;
        try {
          count = Integer.parseInt(pair[1].trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--scale: '" + pair[1].trim() + "' is not a number of instances");
        }
        if (count < 0 || count > MOST) {
          throw new IllegalArgumentException("--scale: " + service.get() + " must have 0 to " + MOST
              + " instances, not " + count);
        }
        counts.put(service.get(), count);
      }
      return counts;
    }

    /** Whole or not at all: the reader never sees half a line. */
    private static void write(Path file, String text) throws IOException {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
      Files.writeString(tmp, text + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
  }
}
