package io.flowreel.it;

import static org.awaitility.Awaitility.await;

import io.flowreel.infra.ExitWithParent;
import io.flowreel.infra.LauncherJar;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One Flowreel service (a stage, the tracker or the gateway) started as its own JVM from its Quarkus fast-jar, exactly as an operator runs
 * it ({@code java -jar services/<name>/target/quarkus-app/quarkus-run.jar}), configured through
 * the environment, its output in a log file. It runs under {@link ExitWithParent}, so it also ends
 * when the test JVM ends, however that happens: no service outlives a crashed or killed build.
 */
final class ServiceProcess implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  /**
   * Seven JVMs start at once on a 2-core CI machine: C1 only and the serial collector leave the
   * cores to class loading and ONNX session set-up. The heavy numbers run in ONNX Runtime, not in
   * JIT-compiled Java, so the tests do not miss C2.
   */
  private static final List<String> JVM_OPTIONS = List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  private final String service;
  private final String workerId;
  private final int httpPort;
  private final Path log;
  private final Process process;

  private ServiceProcess(String service, String workerId, int httpPort, Path log, Process process) {
    this.service = service;
    this.workerId = workerId;
    this.httpPort = httpPort;
    this.log = log;
    this.process = process;
  }

  /** Starts {@code services/<service>} with {@code env} added to this JVM's environment; returns at once. */
  static ServiceProcess start(Path repo, String service, String workerId, Map<String, String> env, Path logDir) {
    Path app = repo.resolve("services").resolve(service).resolve("target/quarkus-app/quarkus-run.jar");
    if (!Files.isRegularFile(app)) {
      throw new IllegalStateException(app + " is missing: build the service first with "
          + "'mvn -B -q install -DskipTests -pl services/" + service + " -am'");
    }
    int port = freePort();
    Path log = logDir.resolve(workerId + ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(JVM_OPTIONS);
    // quarkus-run.jar's manifest names its own classpath; QuarkusEntryPoint is what "java -jar" would run.
    command.addAll(List.of("-cp", LauncherJar.in(logDir) + File.pathSeparator + app,
        ExitWithParent.class.getName(), "io.quarkus.bootstrap.runner.QuarkusEntryPoint"));
    ProcessBuilder builder = new ProcessBuilder(command).directory(repo.toFile()).redirectErrorStream(true)
        .redirectOutput(Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    builder.environment().put("FLOWREEL_WORKER_ID", workerId);
    builder.environment().put("FLOWREEL_HTTP_PORT", Integer.toString(port));
    try {
      Files.createDirectories(logDir);
      // Standard input stays an open pipe that nobody writes to: ExitWithParent watches it.
      return new ServiceProcess(service, workerId, port, log, builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + service, e);
    }
  }

  /** Waits until {@code /q/health/ready} says UP (a stage: pack loaded, broker and buckets reachable, worker polling). */
  ServiceProcess awaitReady(Duration timeout) {
    await(workerId + " ready").atMost(timeout).pollInterval(Duration.ofMillis(250)).until(() -> {
      if (!process.isAlive()) {
        throw new IllegalStateException(workerId + " exited with code " + process.exitValue() + " while starting; "
            + "end of " + log + ":\n" + logTail());
      }
      return ready();
    });
    return this;
  }

  private boolean ready() {
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(healthUrl() + "/ready"))
          .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200;
    } catch (IOException e) {
      return false; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  String healthUrl() {
    return baseUrl() + "/q/health";
  }

  String baseUrl() {
    return "http://127.0.0.1:" + httpPort;
  }

  String service() {
    return service;
  }

  String workerId() {
    return workerId;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL, as a crashed machine or an OOM-killed container: no shutdown hook runs. Returns once it is gone. */
  void kill() {
    process.destroyForcibly();
    waitGone();
  }

  /** SIGTERM, so the worker releases its task and closes its connections; SIGKILL if that takes over 20 s. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        kill();
      }
    } catch (InterruptedException e) {
      kill();
      Thread.currentThread().interrupt();
    }
  }

  private void waitGone() {
    boolean interrupted = false;
    while (true) {
      try {
        process.waitFor();
        break;
      } catch (InterruptedException e) {
        interrupted = true; // callers rely on the process being gone
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port", e);
    }
  }

  @Override
  public String toString() {
    return workerId + " (pid " + process.pid() + ", " + healthUrl() + ")";
  }
}
