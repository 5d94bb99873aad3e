package io.flowreel.service;

import io.flowreel.contract.Stages;
import io.flowreel.contract.Topics;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.runtime.ArtifactStore;
import io.flowreel.runtime.ControlView;
import io.flowreel.runtime.RetryPolicy;
import io.flowreel.runtime.SimulatedStage;
import io.flowreel.runtime.StageMetrics;
import io.flowreel.runtime.StageWorker;
import io.flowreel.runtime.WorkerConfig;
import io.flowreel.telemetry.Tracing;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * One stage's worker inside a Quarkus process: loads the model pack, connects to storage, opens the
 * stage through the service's {@link StageDefinition}, and runs a {@link StageWorker} until
 * shutdown. Every stage service is this same bean around its own definition.
 */
@Singleton
public class StageService {

  private static final Logger LOG = Logger.getLogger(StageService.class);
  private static final Duration CONTROL_CATCH_UP = Duration.ofSeconds(60);

  private final StageDefinition definition;
  private final StageServiceConfig config;
  private final MeterRegistry metrics;
  private final String workerId;
  private Thread starter;
  private volatile String doing = "starting";
  private volatile ModelPack pack;
  private volatile ArtifactStore store;
  private volatile OpenedStage opened;
  private volatile ControlView control;
  private volatile StageWorker worker;
  private volatile String failure;
  private volatile AutoCloseable tracing = () -> { };

  StageService(StageDefinition definition, StageServiceConfig config, MeterRegistry metrics) {
    this.definition = definition;
    this.config = config;
    this.metrics = metrics;
    this.workerId = config.workerId().orElseGet(StageService::defaultWorkerId);
  }

  void onStart(@Observes StartupEvent event) {
    // A real pack takes a while to verify and open: the HTTP server comes up meanwhile, so liveness
    // answers and readiness says what is still missing instead of the process looking hung.
    starter = new Thread(this::start, "stage-service-start");
    starter.start();
  }

  private void start() {
    Stage stage = definition.stage();
    String id = Stages.id(stage);
    StageDefinition.Startup startup = new StageDefinition.Startup() {
      @Override
      public void doing(String step) {
        doing = step;
      }

      @Override
      public void announce(String step) {
        doing = step;
        LOG.infof("%s worker %s: %s", id, workerId, step);
      }
    };
    try {
      tracing = Tracing.start("flowreel-" + id);
      startup.announce("loading model pack " + packDir());
      long t0 = System.nanoTime();
      ModelPack loaded = ModelPack.load(packDir());
      pack = loaded;
      long t1 = System.nanoTime();

      startup.doing("checking buckets at " + config.s3().endpoint());
      store = new ArtifactStore(config.s3().endpoint(), config.s3().accessKey(), config.s3().secretKey());
      store.ensureBucket(config.buckets().work());
      store.ensureBucket(config.buckets().output());

      // The stage's own part: its networks on the chosen engine (none for rewrite and publish).
      startup.doing("opening the " + id + " stage");
      opened = config.simulatedCompute().hold().isPresent() ? simulated(stage) : definition.open(loaded, startup);
      if (opened.handler().stage() != stage) {
        throw new IllegalStateException("the " + id + " service opened a handler of stage " + opened.handler().stage());
      }

      startup.doing("reading " + Topics.CONTROL.name() + " from " + config.kafka().bootstrapServers());
      control = new ControlView(config.kafka().bootstrapServers(), workerId);
      if (!control.awaitCaughtUp(CONTROL_CATCH_UP)) {
        throw new IllegalStateException("not read to its end within " + CONTROL_CATCH_UP.toSeconds() + " s");
      }

      Gauge.builder("flowreel.control.view.targets", control, ControlView::size)
          .description("jobs and batches this worker holds a control command for (tombstoned once they expire)")
          .register(metrics);

      startup.doing("joining share group " + Stages.workerGroup(stage));
      StageWorker started = new StageWorker(opened.handler(), workerConfig(), store, control,
          new StageMetrics(metrics, stage));
      FunctionCounter.builder("flowreel.storage.bytes", store, ArtifactStore::bytesRead).tag("stage", id)
          .tag("direction", "read").description("bytes this worker read from S3").register(metrics);
      FunctionCounter.builder("flowreel.storage.bytes", store, ArtifactStore::bytesWritten).tag("stage", id)
          .tag("direction", "written").description("bytes this worker wrote to S3").register(metrics);
      worker = started.start();
      LOG.infof("%s worker %s takes tasks from %s on %s (pack %d ms, storage, engine and broker %d ms)",
          id, workerId, Topics.tasks(stage).name(), opened.engine().kind(), (t1 - t0) / 1_000_000,
          (System.nanoTime() - t1) / 1_000_000);
    } catch (Throwable e) {
      failure = doing + ": " + e;
      LOG.errorf(e, "%s worker %s cannot start (%s)", id, workerId, doing);
      // Failing fast lets the orchestrator (or the person at the terminal) see it and restart.
      Quarkus.asyncExit(1);
    }
  }

  private OpenedStage simulated(Stage stage) {
    Duration hold = config.simulatedCompute().hold().orElseThrow();
    int bytes = config.simulatedCompute().artifactBytes();
    LOG.warnf("%s worker %s runs SIMULATED compute: each task is held %d ms and stores %d bytes; no networks run",
        Stages.id(stage), workerId, hold.toMillis(), bytes);
    return new OpenedStage(new SimulatedStage(stage, hold, bytes), new EngineInfo(SimulatedStage.ENGINE,
        "flowreel.simulated-compute.hold is set: tasks are held instead of running networks",
        Map.of("holdMillis", Long.toString(hold.toMillis()), "artifactBytes", Integer.toString(bytes))), () -> {});
  }

  private WorkerConfig workerConfig() {
    StageServiceConfig.Retry retry = config.retry();
    return new WorkerConfig(config.kafka().bootstrapServers(), workerId, config.buckets().work(),
        config.buckets().output(), new RetryPolicy(retry.maxTries(), retry.base(), retry.cap()), config.lockRenewal(),
        config.progressInterval(), config.maxDeliveries());
  }

  Path packDir() {
    return config.pack().path().orElse(config.home().resolve("models").resolve("tiny")).toAbsolutePath().normalize();
  }

  void onStop(@Observes ShutdownEvent event) throws Exception {
    if (starter != null) {
      starter.join(10_000);
    }
    // Reverse order of start: the worker finishes or releases its task before its connections go.
    if (worker != null) {
      worker.close();
    }
    if (control != null) {
      control.close();
    }
    if (opened != null) {
      opened.resources().close();
    }
    if (store != null) {
      store.close();
    }
    tracing.close(); // sends the spans still buffered
  }

  public Stage stage() {
    return definition.stage();
  }

  public String workerId() {
    return workerId;
  }

  /** The loaded pack, or empty while it is loading (or failed to). */
  public Optional<ModelPack> pack() {
    return Optional.ofNullable(pack);
  }

  /** The engine the stage runs, or empty until it is open. */
  public Optional<EngineInfo> engine() {
    return Optional.ofNullable(opened).map(OpenedStage::engine);
  }

  /** The running worker, or empty while starting. */
  public Optional<StageWorker> worker() {
    return Optional.ofNullable(worker);
  }

  /** Why starting failed, or empty. */
  public Optional<String> failure() {
    return Optional.ofNullable(failure);
  }

  private static String defaultWorkerId() {
    String host = System.getenv("HOSTNAME"); // the pod name on Kubernetes
    if (host == null || host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (Exception e) {
        host = "localhost";
      }
    }
    return host + "-" + ProcessHandle.current().pid();
  }
}
