package io.flowreel.service;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.engine.tensorrt.EngineChoice;
import io.flowreel.engine.tensorrt.EngineSelection;
import io.flowreel.engine.tensorrt.Engines;
import io.flowreel.engine.tensorrt.NativeTensorRt;
import io.flowreel.engine.tensorrt.Precision;
import io.flowreel.engine.tensorrt.S3EngineStore;
import io.flowreel.engine.tensorrt.TensorRtSettings;
import io.flowreel.handlers.DecodeHandler;
import io.flowreel.handlers.DenoiseHandler;
import io.flowreel.handlers.StageHandlers;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.ShapeBuckets;
import io.flowreel.runtime.ArtifactStore;
import io.flowreel.runtime.ControlView;
import io.flowreel.runtime.RetryPolicy;
import io.flowreel.runtime.StageHandler;
import io.flowreel.runtime.StageWorker;
import io.flowreel.runtime.Topics;
import io.flowreel.runtime.WorkerConfig;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * One stage's worker inside a Quarkus process: loads the model pack, connects to storage and the
 * broker, and runs a {@link StageWorker} until shutdown. The stage itself comes from configuration,
 * so the six services are this same bean with a different {@code flowreel.stage}.
 */
@Singleton
public class StageService {

  private static final Logger LOG = Logger.getLogger(StageService.class);
  private static final Duration CONTROL_CATCH_UP = Duration.ofSeconds(60);

  /** Which engine the stage runs and why, for the health check. */
  public record EngineInfo(String kind, String reason, Map<String, String> details) {}

  private final StageServiceConfig config;
  private final MeterRegistry metrics;
  private final String workerId;
  private Thread starter;
  private volatile ModelPack pack;
  private volatile ArtifactStore store;
  private volatile S3EngineStore engineStore;
  private volatile EngineInfo engine;
  private volatile ControlView control;
  private volatile StageWorker worker;
  private volatile String failure;

  StageService(StageServiceConfig config, MeterRegistry metrics) {
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
    String doing = "checking the configuration";
    try {
      Stage stage = config.stage();
      if (stage == Stage.UNKNOWN) {
        throw new IllegalArgumentException("flowreel.stage must name a stage (rewrite, encode, denoise, decode, "
            + "upsample, publish)");
      }
      doing = "loading model pack " + packDir();
      LOG.infof("%s worker %s: %s", Topics.id(stage), workerId, doing);
      long t0 = System.nanoTime();
      ModelPack loaded = ModelPack.load(packDir());
      pack = loaded;
      List<String> networks = StageHandlers.networks(stage, loaded);
      // Decided before anything slow, so FLOWREEL_ENGINE=tensorrt on a machine without a GPU fails at once.
      doing = "choosing the inference engine (" + EngineChoice.ENV + "=" + config.engine() + ")";
      EngineSelection selection = networks.isEmpty() ? null : EngineSelection.select(
          EngineChoice.parse(config.engine()), EngineChoice.ENV + "=" + config.engine(), NativeTensorRt.PROBE);
      long t1 = System.nanoTime();

      doing = "checking buckets at " + config.s3().endpoint();
      store = new ArtifactStore(config.s3().endpoint(), config.s3().accessKey(), config.s3().secretKey());
      store.ensureBucket(config.buckets().work());
      store.ensureBucket(config.buckets().output());

      StageHandler handler;
      if (selection == null) {
        // Rewrite and publish run no network: no engine to choose, nothing to load.
        handler = handler(stage, loaded, OnnxRuntimeEngine.forPack(loaded));
        engine = new EngineInfo("none", Topics.id(stage) + " runs no network", Map.of());
      } else {
        doing = "opening " + String.join(", ", networks) + " on " + selection.engine().id() + " (" + selection.reason()
            + ")";
        LOG.infof("%s worker %s: %s", Topics.id(stage), workerId, doing);
        engineStore = new S3EngineStore(config.s3().endpoint(), config.s3().accessKey(), config.s3().secretKey(),
            config.buckets().work());
        InferenceEngine opened = Engines.open(selection, loaded, tensorRtSettings(), DecodeHandler.decoding(loaded),
            Optional.of(engineStore));
        handler = handler(stage, loaded, opened);
        // Build or load every engine (and ONNX Runtime session) now, not while the first task waits.
        networks.forEach(opened::network);
        engine = new EngineInfo(opened.kind(), selection.reason(), opened.details());
      }

      doing = "reading " + Topics.CONTROL + " from " + config.kafka().bootstrapServers();
      control = new ControlView(config.kafka().bootstrapServers());
      if (!control.awaitCaughtUp(CONTROL_CATCH_UP)) {
        throw new IllegalStateException("not read to its end within " + CONTROL_CATCH_UP.toSeconds() + " s");
      }

      doing = "joining share group " + StageWorker.groupId(stage);
      StageWorker started = new StageWorker(handler, workerConfig(), store, control);
      FunctionCounter.builder("flowreel.tasks.completed", started, StageWorker::completedTasks)
          .tag("stage", Topics.id(stage)).description("tasks this worker finished").register(metrics);
      FunctionCounter.builder("flowreel.tasks.failed", started, StageWorker::failedTasks)
          .tag("stage", Topics.id(stage)).description("tasks this worker failed or dead-lettered").register(metrics);
      worker = started.start();
      LOG.infof("%s worker %s takes tasks from %s on %s (pack %d ms, engine, storage and broker %d ms)",
          Topics.id(stage), workerId, Topics.tasks(stage), engine.kind(), (t1 - t0) / 1_000_000,
          (System.nanoTime() - t1) / 1_000_000);
    } catch (Throwable e) {
      failure = doing + ": " + e;
      LOG.errorf(e, "%s worker %s cannot start (%s)", Topics.id(config.stage()), workerId, doing);
      // Failing fast lets the orchestrator (or the person at the terminal) see it and restart.
      Quarkus.asyncExit(1);
    }
  }

  private StageHandler handler(Stage stage, ModelPack loaded, InferenceEngine engine) {
    if (stage == Stage.DENOISE) {
      return new DenoiseHandler(loaded, engine, config.checkpointEvery());
    }
    return StageHandlers.create(stage, loaded, engine);
  }

  private TensorRtSettings tensorRtSettings() {
    StageServiceConfig.Tensorrt trt = config.tensorrt();
    return new TensorRtSettings(ShapeBuckets.parseList(trt.buckets().orElse("")), Precision.parse(trt.precision()),
        trt.cacheDir().orElse(TensorRtSettings.defaultCacheDir()));
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
    if (store != null) {
      store.close();
    }
    if (engineStore != null) {
      engineStore.close();
    }
  }

  public Stage stage() {
    return config.stage();
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
    return Optional.ofNullable(engine);
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
