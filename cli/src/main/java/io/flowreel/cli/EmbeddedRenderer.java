package io.flowreel.cli;

import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.handlers.StageHandlers;
import io.flowreel.infra.KafkaBroker;
import io.flowreel.infra.S3Server;
import io.flowreel.infra.TopicCatalog;
import io.flowreel.infra.TopicSetup;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.messages.codec.MessageSerdes;
import io.flowreel.pack.ModelPack;
import io.flowreel.render.RenderSpec;
import io.flowreel.runtime.ArtifactRefs;
import io.flowreel.runtime.ArtifactStore;
import io.flowreel.runtime.ControlView;
import io.flowreel.runtime.Pipeline;
import io.flowreel.runtime.StageWorker;
import io.flowreel.runtime.Topics;
import io.flowreel.runtime.WorkerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The embedded default: a real Kafka broker and S3 server started for this run, one worker per
 * stage in this process, the jobs sent through the bus exactly as the stage services run them, the
 * published clips copied into the output folder, and everything stopped and deleted at the end.
 * The gateway, the tracker and stage services as separate processes join in a later issue.
 */
final class EmbeddedRenderer {

  private final ModelPack pack;
  private final Path stateDir;
  private final PrintWriter err;

  EmbeddedRenderer(ModelPack pack, Path stateDir, PrintWriter err) {
    this.pack = pack;
    this.stateDir = stateDir;
    this.err = err;
  }

  /** Renders every job into {@code out}; returns the number of jobs that failed. */
  int render(List<RenderSpec> jobs, Path out, ProgressDisplay progress, BooleanSupplier interrupted) throws Exception {
    Path run = Files.createDirectories(stateDir).resolve("run-" + ProcessHandle.current().pid());
    long t0 = System.nanoTime();
    err.println("flowreel: starting Kafka broker and S3 server...");
    err.flush();
    List<StageWorker> workers = new ArrayList<>();
    try (KafkaBroker broker = KafkaBroker.start(run.resolve("kafka"));
         S3Server s3 = S3Server.start(run.resolve("s3"));
         ArtifactStore store = new ArtifactStore(s3.endpoint(), s3.accessKey(), s3.secretKey());
         ControlView control = controlView(broker.bootstrapServers())) {
      WorkerConfig config = WorkerConfig.defaults(broker.bootstrapServers(), "flowreel-cli");
      store.ensureBucket(config.workBucket());
      store.ensureBucket(config.outputBucket());
      OnnxRuntimeEngine engine = OnnxRuntimeEngine.forPack(pack);
      for (Stage stage : Pipeline.STAGES) {
        workers.add(new StageWorker(StageHandlers.create(stage, pack, engine), config, store, control).start());
      }
      err.printf("flowreel: stack up in %.1f s (broker %s, S3 %s)%n", (System.nanoTime() - t0) / 1e9,
          broker.bootstrapServers(), s3.endpoint());
      err.flush();
      return submitAndCollect(jobs, broker.bootstrapServers(), store, out, progress, interrupted);
    } finally {
      for (StageWorker worker : workers) {
        worker.close();
      }
      deleteTree(run);
    }
  }

  /** The topics first: workers and the control view need them to exist. */
  private static ControlView controlView(String bootstrap) throws InterruptedException {
    TopicSetup.apply(bootstrap, TopicCatalog.standard()).requireNoMismatch();
    ControlView control = new ControlView(bootstrap);
    if (!control.awaitCaughtUp(Duration.ofSeconds(30))) {
      control.close();
      throw new IllegalStateException("the control topic could not be read within 30 s");
    }
    return control;
  }

  private int submitAndCollect(List<RenderSpec> jobs, String bootstrap, ArtifactStore store, Path out,
      ProgressDisplay progress, BooleanSupplier interrupted) throws Exception {
    String batch = "cli-" + System.currentTimeMillis();
    Map<String, Long> open = new HashMap<>(); // job id -> when it was sent
    int failed = 0;
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
        new StringSerializer(), new ByteArraySerializer());
         KafkaConsumer<String, StageEvent> events = eventConsumer(bootstrap)) {
      String topic = Topics.tasks(Stage.REWRITE);
      for (RenderSpec job : jobs) {
        RenderTask task = RenderTask.newBuilder().setSpec(wire(job, batch)).setAttempt(1)
            .setRoutingSlip(Pipeline.routingSlip(job.rewrite(), job.upsample())).setCreatedAtMillis(System.currentTimeMillis()).build();
        producer.send(new ProducerRecord<>(topic, job.jobId(), MessageSerdes.renderTask().serialize(topic, task))).get();
        open.put(job.jobId(), System.currentTimeMillis());
      }
      Files.createDirectories(out);
      while (!open.isEmpty()) {
        if (interrupted.getAsBoolean()) {
          throw new InterruptedException("interrupted with " + open.size() + " clips unfinished");
        }
        for (ConsumerRecord<String, StageEvent> record : events.poll(Duration.ofMillis(200))) {
          StageEvent e = record.value();
          if (!open.containsKey(e.getJobId())) {
            continue;
          }
          io.flowreel.render.Stage stage = io.flowreel.render.Stage.valueOf(e.getStage().name());
          switch (e.getType()) {
            case STARTED -> progress.stage(e.getJobId(), stage);
            case PROGRESS -> {
              if (e.getStep() != null && e.getTotalSteps() != null) {
                progress.step(e.getJobId(), e.getStep(), e.getTotalSteps());
              }
            }
            case SUCCEEDED -> {
              if (e.getStage() == Stage.PUBLISH) {
                download(store, e.getArtifacts(), e.getJobId(), out);
                progress.done(e.getJobId(), out.resolve(e.getJobId() + ".mp4"),
                    System.currentTimeMillis() - open.get(e.getJobId()));
                open.remove(e.getJobId());
              }
            }
            case FAILED, DEAD_LETTERED, CANCELLED -> {
              err.printf("%s: %s at %s: %s%n", e.getJobId(), e.getType().name().toLowerCase(Locale.ROOT),
                  Topics.id(e.getStage()), e.getError());
              err.flush();
              open.remove(e.getJobId());
              failed++;
            }
            default -> { }
          }
        }
      }
    }
    return failed;
  }

  /** Copies the published video, poster and manifest out of the bucket, each file whole or not at all. */
  private static void download(ArtifactStore store, List<ArtifactRef> artifacts, String jobId, Path out)
      throws IOException {
    for (ArtifactRef ref : artifacts) {
      String extension = ref.getKey().substring(ref.getKey().lastIndexOf('.'));
      Path partial = out.resolve("." + jobId + extension + ".partial");
      Files.write(partial, store.get(ArtifactRefs.fromWire(ref)));
      Files.move(partial, out.resolve(jobId + extension), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private JobSpec wire(RenderSpec job, String batch) {
    return JobSpec.newBuilder().setJobId(job.jobId()).setBatchId(batch).setTenant("cli").setPrompt(job.prompt())
        .setNegativePrompt(job.negativePrompt()).setSeed(job.seed()).setWidth(job.width()).setHeight(job.height())
        .setFrames(job.frames()).setFps(job.fps()).setSteps(job.steps()).setGuidance(job.guidance())
        .setShift(job.shift()).setPack(pack.name()).setRewrite(job.rewrite()).setUpsample(job.upsample()).build();
  }

  private static KafkaConsumer<String, StageEvent> eventConsumer(String bootstrap) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("group.id", "flowreel-cli");
    props.put("auto.offset.reset", "earliest");
    KafkaConsumer<String, StageEvent> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), MessageSerdes.stageEvent().deserializer());
    consumer.subscribe(List.of(Topics.EVENTS));
    return consumer;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
