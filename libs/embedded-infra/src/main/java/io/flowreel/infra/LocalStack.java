package io.flowreel.infra;

import io.flowreel.contract.Stages;
import io.flowreel.messages.Stage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The whole farm on one machine, as operators run it: a Kafka broker and an S3 server (child JVMs
 * from Maven artifacts, no Docker), the topics of {@code infra/topics.yaml}, both buckets, and
 * every service as its own process from its fast-jar: the six stages, the tracker and the gateway.
 * Used by {@code flowreel render} and {@code flowreel up}, and by the integration tests.
 *
 * <p>Two steps, so that a caller can configure the broker (share-group settings, say) before any
 * worker joins: {@link #startServers} then {@link #startServices}.
 */
public final class LocalStack implements AutoCloseable {

  public static final String WORK_BUCKET = "flowreel-work";
  public static final String OUTPUT_BUCKET = "flowreel-output";
  /** The stage services in pipeline order (folders under services/). */
  public static final List<String> STAGE_SERVICES =
      List.of("prompt-rewriter", "text-encoder", "denoiser", "decoder", "upsampler", "publisher");
  public static final String TRACKER = "tracker";
  /** Admits the waiting tasks to each stage in priority and fair-share order: without it no stage gets work. */
  public static final String SCHEDULER = "scheduler";
  private static final Duration SUPERVISE_EVERY = Duration.ofMillis(500);
  private static final Duration STABLE = Duration.ofMinutes(1);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  public static final String GATEWAY = "gateway";
  /** Every service folder, in the order they are started. */
  public static final List<String> ALL_SERVICES = allServices();

  private final Path home;
  private final Path dir;
  private volatile KafkaBroker broker;
  private final S3Server s3;
  private final GatewayCredentials credentials;
  private final List<ServiceProcess> services = new CopyOnWriteArrayList<>();
  private volatile ServiceProcess gateway;
  private volatile String schedulerUrl;
  private volatile boolean closing;
  private Thread supervisor;
  private List<String> recovered = List.of();

  private LocalStack(Path home, Path dir, KafkaBroker broker, S3Server s3, GatewayCredentials credentials) {
    this.home = home;
    this.dir = dir;
    this.broker = broker;
    this.s3 = s3;
    this.credentials = credentials;
  }

  /**
   * What to start: how many instances of each service (0 or absent: none), the gateway's HTTP port
   * (0: a free one), environment added to every service, JVM options.
   */
  public record Plan(Map<String, Integer> instances, int gatewayPort, Map<String, String> env,
      List<String> jvmOptions, Duration readyTimeout) {

    /** One instance of every service, the gateway on {@code gatewayPort}. */
    public static Plan everything(int gatewayPort) {
      Map<String, Integer> one = new LinkedHashMap<>();
      ALL_SERVICES.forEach(s -> one.put(s, 1));
      return new Plan(one, gatewayPort, Map.of(), ServiceProcess.SMALL_JVM, Duration.ofMinutes(3));
    }
  }

  /**
   * Starts the broker and the S3 server under {@code dir} side by side (each is a JVM that mostly
   * waits on its own start-up), then creates the topics and the buckets.
   */
  public static LocalStack startServers(Path home, Path dir) {
    GatewayCredentials credentials = GatewayCredentials.ensure(dir.resolve("gateway"));
    CompletableFuture<S3Server> s3 = CompletableFuture.supplyAsync(() -> S3Server.start(dir.resolve("s3")));
    KafkaBroker broker;
    try {
      broker = KafkaBroker.start(dir.resolve("kafka"));
    } catch (RuntimeException | Error e) {
      s3.thenAccept(S3Server::close);
      throw e;
    }
    LocalStack stack;
    try {
      stack = new LocalStack(home, dir, broker, s3.join(), credentials);
    } catch (CompletionException e) {
      broker.close();
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
    try {
      // Before any service produces: a broker killed mid-commit can come back with a transaction no marker will
      // ever close, and the exactly-once tracker would wait on it forever (HangingTransactions).
      if (!broker.freshStorage()) {
        stack.recovered = HangingTransactions.closeAll(broker.bootstrapServers(), Duration.ofSeconds(30));
      }
      TopicSetup.apply(broker.bootstrapServers(), TopicCatalog.standard()).requireNoMismatch();
      BucketSetup.ensure(stack.s3.endpoint(), stack.s3.accessKey(), stack.s3.secretKey(), WORK_BUCKET,
          OUTPUT_BUCKET);
      return stack;
    } catch (RuntimeException | Error e) {
      stack.close();
      throw e;
    }
  }

  /**
   * Starts the services of {@code plan} all at once (they start in parallel) and returns when every
   * one is ready. The tracker starts before the gateway, which is given its address.
   */
  public List<ServiceProcess> startServices(Plan plan) {
    return startServices(plan, line -> { });
  }

  /** As {@link #startServices(Plan)}, telling {@code progress} of each service as it becomes ready. */
  public List<ServiceProcess> startServices(Plan plan, Consumer<String> progress) {
    List<ServiceProcess> started = new ArrayList<>();
    String trackerUrl = null;
    for (String service : ALL_SERVICES) {
      int count = plan.instances().getOrDefault(service, 0);
      for (int i = 1; i <= count; i++) {
        ServiceProcess process = startInstance(service, i, plan, trackerUrl);
        started.add(process);
        if (service.equals(TRACKER) && trackerUrl == null) {
          trackerUrl = process.baseUrl();
        }
      }
    }
    awaitReady(started, plan.readyTimeout(), progress);
    return started;
  }

  /** Starts instance {@code i} of {@code service} with {@code plan}'s settings; a gateway needs {@code trackerUrl}. */
  private ServiceProcess startInstance(String service, int i, Plan plan, String trackerUrl) {
    Map<String, String> env = new LinkedHashMap<>(environment());
    env.putAll(plan.env());
    int port = 0;
    if (service.equals(TRACKER)) {
      env.put("FLOWREEL_TRACKER_STATE_DIR", dir.resolve("tracker-state-" + i).toString());
      // Static membership: restarted after a crash, it need not wait out its predecessor's session.
      env.put("FLOWREEL_TRACKER_INSTANCE_ID", service + "-" + i);
    } else if (service.equals(SCHEDULER)) {
      env.put("FLOWREEL_SCHEDULER_STATE_DIR", dir.resolve("scheduler-state-" + i).toString());
      env.put("FLOWREEL_SCHEDULER_INSTANCE_ID", service + "-" + i);
    } else if (service.equals(GATEWAY)) {
      if (trackerUrl == null) {
        throw new IllegalArgumentException("the gateway needs a tracker: plan at least one");
      }
      env.put("FLOWREEL_TRACKER_URL", trackerUrl);
      if (schedulerUrl != null) {
        env.put("FLOWREEL_SCHEDULER_URL", schedulerUrl); // each stage's backlog, for /v1/stages
      }
      env.putAll(credentials.gatewayEnvironment());
      // Stable per instance: a restarted gateway fences its predecessor's open transaction.
      env.put("FLOWREEL_GATEWAY_INSTANCE_ID", service + "-" + i);
      port = i == 1 ? plan.gatewayPort() : 0;
    }
    ServiceProcess process = ServiceProcess.start(home, service, service + "-" + i, port, env, dir.resolve("logs"),
        plan.jvmOptions());
    services.add(process);
    if (service.equals(GATEWAY) && gateway == null) {
      gateway = process;
    }
    if (service.equals(SCHEDULER) && schedulerUrl == null) {
      schedulerUrl = process.baseUrl();
    }
    return process;
  }

  /**
   * The stage service a name means: its folder ({@code denoiser}) or its stage ({@code denoise}); empty for any
   * other name, the tracker, scheduler and gateway included (they run as one instance here).
   */
  public static Optional<String> stageService(String name) {
    if (STAGE_SERVICES.contains(name)) {
      return Optional.of(name);
    }
    return Stages.PIPELINE.stream().filter(stage -> Stages.id(stage).equals(name)).findFirst()
        .map(LocalStack::serviceOf);
  }

  /** The service that runs {@code stage} (STAGE_SERVICES is in pipeline order). */
  public static String serviceOf(Stage stage) {
    return STAGE_SERVICES.get(Stages.PIPELINE.indexOf(stage));
  }

  /** How many instances of {@code service} run now. */
  public int instances(String service) {
    return (int) services.stream().filter(s -> s.service().equals(service)).count();
  }

  /**
   * Runs {@code count} instances of a stage service: starts the missing ones with {@code plan}'s settings,
   * numbered after the highest, and returns once they are ready; or stops the highest-numbered ones. A stopped
   * worker gets SIGTERM: it finishes its task or hands it back to the queue, and if it takes longer than the grace
   * period the SIGKILL leaves the task to come back when its lock expires: no task is lost either way. The
   * supervisor does not restart a stopped instance.
   */
  public synchronized void scale(String service, int count, Plan plan, Consumer<String> progress) {
    if (!STAGE_SERVICES.contains(service)) {
      throw new IllegalArgumentException("only the stage services scale here (" + String.join(", ", STAGE_SERVICES)
          + "), not " + service);
    }
    if (count < 0) {
      throw new IllegalArgumentException("instances cannot be negative: " + count);
    }
    if (closing) {
      throw new IllegalStateException("the farm is stopping");
    }
    List<ServiceProcess> running = services.stream().filter(s -> s.service().equals(service))
        .sorted(Comparator.comparingInt(LocalStack::instanceNumber)).toList();
    if (count > running.size()) {
      int next = running.isEmpty() ? 1 : instanceNumber(running.get(running.size() - 1)) + 1;
      List<ServiceProcess> started = new ArrayList<>();
      for (int i = 0; i < count - running.size(); i++) {
        started.add(startInstance(service, next + i, plan, null));
      }
      awaitReady(started, plan.readyTimeout(), progress);
    } else {
      List<ServiceProcess> stopping = running.subList(count, running.size());
      services.removeAll(stopping); // first: the supervisor restarts only what it still knows
      List<Thread> threads = new ArrayList<>();
      for (ServiceProcess instance : stopping) {
        Thread t = new Thread(() -> {
          instance.close();
          progress.accept(instance.instanceId() + " stopped");
        }, "stop-" + instance.instanceId());
        t.start();
        threads.add(t);
      }
      for (Thread t : threads) {
        try {
          t.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while stopping " + service, e);
        }
      }
    }
  }

  private static int instanceNumber(ServiceProcess process) {
    String id = process.instanceId();
    return Integer.parseInt(id.substring(id.lastIndexOf('-') + 1));
  }

  /** Polls every service until all are ready, telling {@code progress} of each as it becomes ready. */
  private static void awaitReady(List<ServiceProcess> started, Duration timeout, Consumer<String> progress) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<ServiceProcess> waiting = new ArrayList<>(started);
    while (!waiting.isEmpty()) {
      for (Iterator<ServiceProcess> it = waiting.iterator(); it.hasNext(); ) {
        ServiceProcess process = it.next();
        if (process.checkReady(deadline)) {
          it.remove();
          progress.accept(process.instanceId() + " ready" + (waiting.isEmpty() ? "" : "; waiting for "
              + String.join(", ", waiting.stream().map(ServiceProcess::instanceId).toList())));
        }
      }
      if (!waiting.isEmpty()) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the services", e);
        }
      }
    }
  }

  /**
   * From now on, restarts any service that exits (a crash, an out-of-memory kill) with the same
   * instance id, port and settings. The wait before a restart doubles with each quick exit of the
   * same instance, from 1 s up to 30 s, and starts over once it has run for a minute; {@code report}
   * hears of every restart.
   */
  public synchronized void supervise(Consumer<String> report) {
    if (supervisor != null) {
      return;
    }
    supervisor = new Thread(() -> superviseLoop(report), "local-stack-supervisor");
    supervisor.setDaemon(true);
    supervisor.start();
  }

  private void superviseLoop(Consumer<String> report) {
    Map<String, Restarts> history = new HashMap<>();
    Map<String, Long> dueAt = new HashMap<>();
    try {
      while (!closing) {
        for (ServiceProcess service : services) {
          long now = System.nanoTime();
          if (service.isAlive() || closing || !services.contains(service)) {
            continue; // running, or stopped on purpose (scaled down)
          }
          String id = service.instanceId();
          Restarts last = history.get(id);
          int quick = last != null && now - last.startedAt() < STABLE.toNanos() ? last.count() : 0;
          long due = dueAt.computeIfAbsent(id, k -> now + backoff(quick).toNanos());
          if (now < due) {
            continue;
          }
          dueAt.remove(id);
          ServiceProcess restarted = service.restart();
          services.set(services.indexOf(service), restarted);
          if (service == gateway) {
            gateway = restarted;
          }
          history.put(id, new Restarts(quick + 1, System.nanoTime()));
          report.accept("restarted " + id + " (it exited with code " + service.exitCode() + "; restart "
              + (quick + 1) + " in a row, after " + backoff(quick).toSeconds() + " s)");
        }
        Thread.sleep(SUPERVISE_EVERY.toMillis());
      }
    } catch (InterruptedException e) {
      // closing
    } catch (RuntimeException e) {
      report.accept("the supervisor stopped: " + e);
    }
  }

  /** Restarts of one instance in a row (each within a minute of the one before) and when the last began. */
  private record Restarts(int count, long startedAt) {}

  private static Duration backoff(int quickRestarts) {
    Duration wait = Duration.ofSeconds(1L << Math.min(quickRestarts, 5));
    return wait.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait;
  }

  /** What every service is configured with: where the broker, storage and the model packs are. */
  public Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("FLOWREEL_HOME", home.toString());
    env.put("FLOWREEL_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers());
    env.put("FLOWREEL_S3_ENDPOINT", s3.endpoint());
    env.put("FLOWREEL_S3_ACCESS_KEY", s3.accessKey());
    env.put("FLOWREEL_S3_SECRET_KEY", s3.secretKey());
    env.put("FLOWREEL_BUCKETS_WORK", WORK_BUCKET);
    env.put("FLOWREEL_BUCKETS_OUTPUT", OUTPUT_BUCKET);
    return env;
  }

  public String bootstrapServers() {
    return broker.bootstrapServers();
  }

  /**
   * Stops the broker (SIGTERM) and starts it again on the same data and ports, as an operator's
   * restart would: the services keep running and reconnect.
   */
  public synchronized void restartBroker() {
    broker.close();
    broker = KafkaBroker.start(dir.resolve("kafka"));
  }

  public S3Server s3() {
    return s3;
  }

  public Path home() {
    return home;
  }

  /** What starting the servers had to repair from an earlier crash (hanging transactions closed), one line each. */
  public List<String> recovered() {
    return recovered;
  }

  /** Who may call the gateway: the local key, and more keys for tests of several tenants. */
  public GatewayCredentials credentials() {
    return credentials;
  }

  /** The gateway's base address, e.g. {@code http://127.0.0.1:8080}. */
  public String gatewayUrl() {
    if (gateway == null) {
      throw new IllegalStateException("no gateway was started");
    }
    return gateway.baseUrl();
  }

  public List<ServiceProcess> services() {
    return List.copyOf(services);
  }

  /** Process ids of the broker, the S3 server and every service, for measuring the stack. */
  public List<Long> pids() {
    List<Long> pids = new ArrayList<>(List.of(broker.pid(), s3.pid()));
    services.forEach(s -> pids.add(s.pid()));
    return pids;
  }

  /** Stops every service (SIGTERM, in parallel), then the servers. Safe on a half-started stack. */
  @Override
  public void close() {
    closing = true;
    Thread watching = supervisor;
    if (watching != null) {
      watching.interrupt();
      try {
        watching.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    List<Thread> stopping = new ArrayList<>();
    for (ServiceProcess service : services) {
      Thread t = new Thread(service::close, "stop-" + service.instanceId());
      t.start();
      stopping.add(t);
    }
    boolean interrupted = false;
    for (Thread t : stopping) {
      while (true) {
        try {
          t.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true; // every service must be stopped before the servers go
        }
      }
    }
    s3.close();
    broker.close();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static List<String> allServices() {
    List<String> all = new ArrayList<>(List.of(TRACKER, SCHEDULER, GATEWAY));
    all.addAll(STAGE_SERVICES);
    return List.copyOf(all);
  }
}
