package io.flowreel.cli;

import io.flowreel.contract.ApiKeys;
import io.flowreel.infra.DataDirs;
import io.flowreel.infra.FlowreelHome;
import io.flowreel.infra.LocalStack;
import io.flowreel.pack.ModelPack;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flowreel up}: the whole farm on this machine, kept running until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = {"Start a Kafka broker, an S3 server and every service (six stages, tracker, gateway) on this "
        + "machine and keep them running; prints the gateway's address. A service that exits is restarted. "
        + "The broker's log, the S3 data, the tracker's state and the logs stay in the data folder: Ctrl-C or "
        + "'flowreel down' stops everything and keeps them, and the next 'up' resumes the queue where it was.",
        "Other commands (submit, status, cancel, retry) find the gateway through .flowreel/gateway and use the "
            + "local operator key in .flowreel/api-key (tenant 'default'; the keys file is in the data folder, "
            + "gateway/api-keys)."})
final class UpCommand implements Callable<Integer> {

  @Spec CommandSpec command;

  @Option(names = "--port", defaultValue = "8080", description = "Gateway HTTP port (default ${DEFAULT-VALUE}; 0: any free port).")
  int port;

  @Option(names = "--pack", paramLabel = "DIR", description = "Model pack folder (default: the checkout's tiny pack, models/tiny).")
  Path pack;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Data folder: broker log, S3 objects, tracker state, logs (default: .flowreel/up).")
  Path data;

  @Option(names = "--scale", paramLabel = "STAGE=N,...",
      description = "Instances of stages other than one each, e.g. denoiser=2,decoder=2 (stage names too: "
          + "denoise=2). 'flowreel scale STAGE N' changes them while the farm runs.")
  String scale;

  /** How often a running farm looks for 'flowreel scale' requests. */
  private static final long SCALE_POLL_MILLIS = 500;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = command.commandLine().getErr();
    PrintWriter out = command.commandLine().getOut();
    Path home = FlowreelHome.locate();
    if (pack == null) {
      pack = home.resolve("models").resolve("tiny");
    }
    String packName = ModelPack.load(pack).name();
    Map<String, Integer> scaled;
    try {
      scaled = scale == null ? Map.of() : ScaleCommand.Requests.parse(scale);
    } catch (IllegalArgumentException e) {
      err.println("flowreel up: " + e.getMessage());
      return 2;
    }
    Path state = Files.createDirectories(GatewayOptions.stateDir());
    Path run = (data != null ? data : defaultData()).toAbsolutePath();
    Path address = state.resolve("gateway");
    Path apiKey = state.resolve(GatewayOptions.API_KEY_FILE);
    Optional<ProcessHandle> running = recorded().flatMap(Recorded::running);
    if (running.isPresent()) {
      err.printf("flowreel up: already up (pid %d); 'flowreel down' stops it%n", running.get().pid());
      return 1;
    }
    Files.writeString(state.resolve(PID_FILE), ProcessHandle.current().pid() + "\n" + run + "\n");
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      stop.countDown();
      try {
        stopped.await(); // let the services stop and the data go before the JVM exits
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    Runtime.getRuntime().addShutdownHook(hook);
    long t0 = System.nanoTime();
    err.printf("flowreel up: starting Kafka broker, S3 server and %d services...%n", LocalStack.ALL_SERVICES.size());
    err.flush();
    try (LocalStack stack = LocalStack.startServers(home, run)) {
      err.printf("flowreel up: %.1f s: Kafka broker and S3 server ready%n", (System.nanoTime() - t0) / 1e9);
      stack.recovered().forEach(line -> err.println("flowreel up: " + line));
      err.flush();
      LocalStack.Plan plan = EmbeddedRenderer.plan(pack, packName, port, Map.of());
      Map<String, Integer> instances = new LinkedHashMap<>(plan.instances());
      instances.putAll(scaled);
      plan = new LocalStack.Plan(instances, plan.gatewayPort(), plan.env(), plan.jvmOptions(), plan.readyTimeout());
      stack.startServices(plan, line -> {
        err.printf("flowreel up: %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, line);
        err.flush();
      });
      stack.supervise(message -> {
        err.println("flowreel up: " + message);
        err.flush();
      });
      serveScaleRequests(run, stack, plan, err);
      ApiKeys.createOwnerOnly(apiKey);
      Files.writeString(apiKey, stack.credentials().localKey() + "\n");
      Files.writeString(address, stack.gatewayUrl() + "\n");
      out.printf("Flowreel is up in %.1f s: gateway %s (API /v1, OpenAPI %s/q/openapi)%n",
          (System.nanoTime() - t0) / 1e9, stack.gatewayUrl(), stack.gatewayUrl());
      out.printf("Kafka %s, S3 %s, data and logs in %s. Ctrl-C or 'flowreel down' stops everything and keeps "
          + "the data.%n", stack.bootstrapServers(), stack.s3().endpoint(), run);
      out.flush();
      stop.await();
      err.println("flowreel up: stopping...");
      err.flush();
    } finally {
      Files.deleteIfExists(address);
      Files.deleteIfExists(apiKey);
      Files.deleteIfExists(state.resolve(PID_FILE));
      stopped.countDown();
    }
    return 0;
  }

  /**
   * Carries out 'flowreel scale' requests (files in the data folder) until the farm stops. Requests of an earlier
   * run are dropped first: a new {@code up} starts with what its own options say.
   */
  private static void serveScaleRequests(Path run, LocalStack stack, LocalStack.Plan plan, PrintWriter err)
      throws IOException {
    DataDirs.delete(ScaleCommand.Requests.dir(run));
    Map<String, String> answered = new HashMap<>();
    Thread scaler = new Thread(() -> {
      try {
        while (true) {
          ScaleCommand.Requests.serve(run, stack, plan, answered, line -> {
            err.println("flowreel up: " + line);
            err.flush();
          });
          Thread.sleep(SCALE_POLL_MILLIS);
        }
      } catch (InterruptedException e) {
        // stopping
      } catch (IOException | RuntimeException e) {
        err.println("flowreel up: 'flowreel scale' no longer works on this farm: " + e);
        err.flush();
      }
    }, "flowreel-up-scaler");
    scaler.setDaemon(true);
    scaler.start();
  }

  /** Where {@code up} keeps its pid and data folder, for {@code down}: two lines. */
  static final String PID_FILE = "up.pid";

  static Path defaultData() {
    return GatewayOptions.stateDir().resolve("up");
  }

  /** What {@code up.pid} says: the {@code up} process and its data folder. */
  record Recorded(long pid, Path data) {

    /** The recorded process, if it still runs. */
    Optional<ProcessHandle> running() {
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    }
  }

  /** What the running (or last) {@code up} of this checkout recorded, if any. */
  static Optional<Recorded> recorded() throws IOException {
    Path pidFile = GatewayOptions.stateDir().resolve(PID_FILE);
    List<String> lines = Files.isRegularFile(pidFile) ? Files.readAllLines(pidFile) : List.of();
    return lines.size() < 2 ? Optional.empty()
        : Optional.of(new Recorded(Long.parseLong(lines.get(0).trim()), Path.of(lines.get(1).trim())));
  }
}
