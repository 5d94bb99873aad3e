package io.flowreel.infra;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One Flowreel service (a stage, the tracker or the gateway) as its own JVM, started from its
 * Quarkus fast-jar exactly as an operator runs it ({@code java -jar
 * services/<name>/target/quarkus-app/quarkus-run.jar}), configured through the environment, its
 * output in a log file. It runs under {@link ExitWithParent}, so it also ends when this JVM ends,
 * however that happens: no service outlives a crashed or killed parent.
 */
public final class ServiceProcess implements AutoCloseable {

  /**
   * Up to eight JVMs start at once on a 2-core machine: C1 only and the serial collector leave the
   * cores to class loading and ONNX session set-up. The heavy numbers run in ONNX Runtime, not in
   * JIT-compiled Java, so the services do not miss C2.
   */
  public static final List<String> SMALL_JVM = List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private static final Duration STOP_GRACE = Duration.ofSeconds(20);

  /** Everything {@link #start} was given, so that a crashed service starts again exactly as it did. */
  private record Launch(Path home, String service, String instanceId, int httpPort, Map<String, String> env,
      Path logDir, List<String> jvmOptions) {}

  private final Launch launch;
  private final ChildProcess process;

  private ServiceProcess(Launch launch, ChildProcess process) {
    this.launch = launch;
    this.process = process;
  }

  /** The fast-jar of {@code services/<service>} under {@code home}. */
  public static Path jar(Path home, String service) {
    return home.resolve("services").resolve(service).resolve("target/quarkus-app/quarkus-run.jar");
  }

  /**
   * Starts {@code services/<service>} with {@code env} added to this JVM's environment, on
   * {@code httpPort} (0: a free one); returns at once. {@code instanceId} names the process in events
   * ({@code FLOWREEL_WORKER_ID}) and its log file {@code <logDir>/<instanceId>.log}.
   */
  public static ServiceProcess start(Path home, String service, String instanceId, int httpPort,
      Map<String, String> env, Path logDir, List<String> jvmOptions) {
    Path app = jar(home, service);
    if (!Files.isRegularFile(app)) {
      throw new IllegalStateException(app + " is missing: build the service first with "
          + "'mvn -B -q install -DskipTests -pl services/" + service + " -am'");
    }
    int port = httpPort > 0 ? httpPort : ChildProcess.freePort();
    return launch(new Launch(home, service, instanceId, port, Map.copyOf(env), logDir, List.copyOf(jvmOptions)));
  }

  /** The same service started again: same instance id, port, environment and (appended) log. */
  public ServiceProcess restart() {
    return launch(launch);
  }

  private static ServiceProcess launch(Launch launch) {
    Path app = jar(launch.home(), launch.service());
    String instanceId = launch.instanceId();
    int port = launch.httpPort();
    Map<String, String> all = new HashMap<>(launch.env());
    all.put("FLOWREEL_WORKER_ID", instanceId);
    all.put("FLOWREEL_HTTP_PORT", Integer.toString(port));
    // Reachable from this machine only: the tracker's query API and the stages' ports have no
    // authentication of their own, and the gateway's download links point at the local S3 server anyway.
    all.put("QUARKUS_HTTP_HOST", "127.0.0.1");
    // quarkus-run.jar's manifest names its own classpath; QuarkusEntryPoint is what "java -jar" runs.
    ChildProcess process = ChildProcess.start(instanceId, app.getParent().getParent(), launch.service(),
        app.toString(), launch.jvmOptions(), "io.quarkus.bootstrap.runner.QuarkusEntryPoint", List.of(), all,
        launch.logDir().resolve(instanceId + ".log"), false);
    return new ServiceProcess(launch, process);
  }

  /**
   * Waits until {@code /q/health/ready} answers 200 (a stage: pack loaded, broker and buckets
   * reachable, worker polling). Fails at once, quoting its log, if the process exits.
   */
  public ServiceProcess awaitReady(Duration timeout) {
    process.awaitReady(timeout, this::ready);
    return this;
  }

  /** One readiness probe; fails as {@link #awaitReady} does if the process exited or {@code deadline} passed. */
  boolean checkReady(long deadline) {
    return process.checkReady(deadline, this::ready);
  }

  private boolean ready() {
    try {
      HttpResponse<Void> response = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/q/health/ready"))
          .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200;
    } catch (IOException e) {
      return false; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + launch.httpPort();
  }

  public String service() {
    return launch.service();
  }

  public String instanceId() {
    return launch.instanceId();
  }

  /** The exit code once the process has ended. */
  public int exitCode() {
    return process.exitCode();
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL, as a crashed machine or an OOM-killed container: no shutdown hook runs. Returns once it is gone. */
  public void kill() {
    process.kill();
  }

  public String logTail() {
    return process.logTail();
  }

  /** The file its output goes to (appended to across restarts). */
  public Path log() {
    return launch.logDir().resolve(launch.instanceId() + ".log");
  }

  /** SIGTERM, so a worker releases its task and closes its connections; SIGKILL if that takes over 20 s. */
  @Override
  public void close() {
    process.stop(STOP_GRACE);
  }

  @Override
  public String toString() {
    return instanceId() + " (pid " + pid() + ", " + baseUrl() + ")";
  }
}
