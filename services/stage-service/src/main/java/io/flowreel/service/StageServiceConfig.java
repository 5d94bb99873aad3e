package io.flowreel.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What every stage service reads from its configuration; a stage's own settings are in its service
 * (the denoiser's checkpoint interval, the network stages' TensorRT settings). Each property also
 * comes from the environment by the usual mapping: {@code flowreel.kafka.bootstrap-servers} is
 * {@code FLOWREEL_KAFKA_BOOTSTRAP_SERVERS}. Durations take {@code 500ms}, {@code 10s} or ISO-8601.
 */
@ConfigMapping(prefix = "flowreel")
public interface StageServiceConfig {

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

  /**
   * What the stage runs its networks on: {@code auto} (TensorRT where a CUDA device and TensorRT
   * load, else ONNX Runtime), {@code tensorrt} (fail at start-up where it cannot run) or
   * {@code onnxruntime}. The network stages open their engine with it (services/network-stage);
   * every stage's health check reports it as {@code requested}, so it is read here.
   */
  @WithDefault("auto")
  String engine();

  SimulatedCompute simulatedCompute();

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

  /**
   * For load and chaos runs only, never a render: with {@code hold} set the stage opens no networks
   * and holds each task that long instead, storing an artifact of {@code artifact-bytes}
   * ({@code io.flowreel.runtime.SimulatedStage}); every event and manifest it makes says simulated.
   */
  interface SimulatedCompute {
    Optional<Duration> hold();

    @WithDefault("262144")
    int artifactBytes();
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
