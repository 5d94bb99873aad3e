package io.flowreel.cli;

import io.flowreel.infra.DataDirs;
import io.flowreel.infra.FlowreelHome;
import io.flowreel.infra.LocalStack;
import io.flowreel.pack.ModelPack;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flowreel up}: the whole farm on this machine, kept running until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = {"Start a Kafka broker, an S3 server and every service (six stages, tracker, gateway) on this "
        + "machine and keep them running; prints the gateway's address. Ctrl-C stops everything and deletes its data.",
        "Other commands (submit, status, cancel, retry) find the gateway through .flowreel/gateway."})
final class UpCommand implements Callable<Integer> {

  @Spec CommandSpec command;

  @Option(names = "--port", defaultValue = "8080", description = "Gateway HTTP port (default ${DEFAULT-VALUE}; 0: any free port).")
  int port;

  @Option(names = "--pack", paramLabel = "DIR", description = "Model pack folder (default: the checkout's tiny pack, models/tiny).")
  Path pack;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = command.commandLine().getErr();
    PrintWriter out = command.commandLine().getOut();
    Path home = FlowreelHome.locate();
    if (pack == null) {
      pack = home.resolve("models").resolve("tiny");
    }
    String packName = ModelPack.load(pack).name();
    Path state = Files.createDirectories(GatewayOptions.stateDir());
    Path run = state.resolve("up-" + ProcessHandle.current().pid());
    Path address = state.resolve("gateway");
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
      stack.startServices(EmbeddedRenderer.plan(pack, packName, port, Map.of()));
      Files.writeString(address, stack.gatewayUrl() + "\n");
      out.printf("Flowreel is up in %.1f s: gateway %s (API /v1, OpenAPI %s/q/openapi)%n",
          (System.nanoTime() - t0) / 1e9, stack.gatewayUrl(), stack.gatewayUrl());
      out.printf("Kafka %s, S3 %s, logs in %s. Ctrl-C stops everything.%n", stack.bootstrapServers(),
          stack.s3().endpoint(), run.resolve("logs"));
      out.flush();
      stop.await();
      err.println("flowreel up: stopping...");
      err.flush();
    } finally {
      Files.deleteIfExists(address);
      DataDirs.delete(run);
      stopped.countDown();
    }
    return 0;
  }
}
