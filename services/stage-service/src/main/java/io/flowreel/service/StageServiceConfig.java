package io.flowreel.service;

import io.flowreel.messages.Stage;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything a stage service reads from its configuration. Each property also comes from the
 * environment by the usual mapping: {@code flowreel.kafka.bootstrap-servers} is
 * {@code FLOWREEL_KAFKA_BOOTSTRAP_SERVERS}. Durations take {@code 500ms}, {@code 10s} or ISO-8601.
 */
@ConfigMapping(prefix = "flowreel")
public interface StageServiceConfig {

  /** The stage this service runs; each service's application.properties sets it. */
  Stage stage();

  Kafka kafka();

  S3 s3();

  Buckets buckets();

  /** The checkout or installation folder; the default pack is {@code <home>/models/tiny}. */
  @WithDefault(".")
  Path home();

  Pack pack();

  /** Names this process in events and dead letters; defaults to host name and process id. */
  Optional<String> workerId();

  /** How often a running task's share-group lock is renewed: well under the group's lock duration. */
  @WithDefault("10s")
  Duration lockRenewal();

  /** Least time between two progress events of one task. */
  @WithDefault("1s")
  Duration progressInterval();

  /** A task delivered this many times without an outcome (its workers crashed) goes to the dead-letter topic. */
  @WithDefault("4")
  int maxDeliveries();

  Retry retry();

  /** Denoising steps between two stored checkpoints (denoiser only). */
  @WithDefault("5")
  int checkpointEvery();

  /**
   * What the stage runs its networks on: {@code auto} (TensorRT where a CUDA device and TensorRT
   * load, else ONNX Runtime), {@code tensorrt} (fail at start-up where it cannot run) or
   * {@code onnxruntime}.
   */
  @WithDefault("auto")
  String engine();

  Tensorrt tensorrt();

  interface Kafka {
    String bootstrapServers();
  }

  interface S3 {
    String endpoint();

    String accessKey();

    String secretKey();
  }

  interface Buckets {
    /** Intermediate artifacts: conditioning, latents, frames, checkpoints. */
    @WithDefault("flowreel-work")
    String work();

    /** Published clips: MP4, poster, manifest. */
    @WithDefault("flowreel-output")
    String output();
  }

  interface Pack {
    /** The model pack folder; {@code <home>/models/tiny} when unset. */
    Optional<Path> path();
  }

  /** How TensorRT engines are built and cached (docs/gpu.md); unused on ONNX Runtime. */
  interface Tensorrt {
    /** WIDTHxHEIGHTxFRAMES,... to build engines for; the pack's default output when unset. */
    Optional<String> buckets();

    /** fp32, or fp16 / bf16 from a converted ONNX file in the pack. */
    @WithDefault("fp32")
    String precision();

    /** Local engine cache, {@code ~/.cache/flowreel/tensorrt} when unset; shared through the work bucket too. */
    Optional<Path> cacheDir();
  }

  /** Transient failures retry with exponential backoff: base, 2 base, 4 base ... up to cap. */
  interface Retry {
    @WithDefault("4")
    int maxTries();

    @WithDefault("1s")
    Duration base();

    @WithDefault("30s")
    Duration cap();
  }
}
