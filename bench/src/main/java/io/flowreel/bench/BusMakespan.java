package io.flowreel.bench;

import io.flowreel.scheduler.Scheduler;
import io.flowreel.decoder.DecodeHandler;
import io.flowreel.denoiser.DenoiseHandler;
import io.flowreel.encoder.EncodeHandler;
import io.flowreel.pack.RenderPlan;
import io.flowreel.publisher.PublishHandler;
import io.flowreel.rewriter.RewriteHandler;
import io.flowreel.runtime.StageHandler;
import io.flowreel.upsampler.UpsampleHandler;
import io.flowreel.contract.RenderSettings;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.infra.KafkaBroker;
import io.flowreel.infra.S3Server;
import io.flowreel.infra.TopicCatalog;
import io.flowreel.infra.TopicSetup;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.pack.ModelPack;
import io.flowreel.render.LocalRenderer;
import io.flowreel.runtime.ArtifactStore;
import io.flowreel.runtime.ControlView;
import io.flowreel.contract.Stages;
import io.flowreel.runtime.StageWorker;
import io.flowreel.runtime.WorkerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Makespan of a batch of tiny-pack jobs: once through the bus (one worker per stage, all in this
 * JVM, real broker and S3 server), once with {@link LocalRenderer} one job after the other. Both
 * share the same ONNX Runtime sessions and threads, so the difference is the bus and the overlap of
 * stages it allows. Usage: BusMakespan PACK JOBS WIDTHxHEIGHTxFRAMES
 */
public final class BusMakespan {

  public static void main(String[] args) throws Exception {
    ModelPack pack = ModelPack.load(Path.of(args[0]));
    int jobs = Integer.parseInt(args[1]);
    String[] size = args[2].split("x");
    int width = Integer.parseInt(size[0]);
    int height = Integer.parseInt(size[1]);
    int frames = Integer.parseInt(size[2]);
    OnnxRuntimeEngine engine = OnnxRuntimeEngine.forPack(pack);
    Path dir = Files.createTempDirectory("flowreel-makespan");

    LocalRenderer local = new LocalRenderer(pack, engine);
    local.render(spec(pack, "warmup", 99, width, height, frames), dir.resolve("local"), LocalRenderer.Progress.NONE, () -> false);
    long t0 = System.nanoTime();
    for (int i = 0; i < jobs; i++) {
      local.render(spec(pack, "job-" + i, i, width, height, frames), dir.resolve("local"), LocalRenderer.Progress.NONE,
          () -> false);
    }
    double localSeconds = (System.nanoTime() - t0) / 1e9;

    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"));
         S3Server s3 = S3Server.start(dir.resolve("s3"));
         ArtifactStore store = new ArtifactStore(s3.endpoint(), s3.accessKey(), s3.secretKey())) {
      TopicSetup.apply(broker.bootstrapServers(), TopicCatalog.standard()).requireNoMismatch();
      store.ensureBucket("flowreel-work");
      store.ensureBucket("flowreel-output");
      ControlView control = new ControlView(broker.bootstrapServers(), "bench");
      control.awaitCaughtUp(Duration.ofSeconds(30));
      List<StageWorker> workers = new ArrayList<>();
      for (Stage stage : Stages.PIPELINE) {
        workers.add(new StageWorker(handler(stage, pack, engine),
            WorkerConfig.defaults(broker.bootstrapServers(), "bench-" + Stages.id(stage)), store, control).start());
      }
      try (Scheduler scheduler = BenchScheduler.start(broker.bootstrapServers(), dir.resolve("scheduler"));
           KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          broker.bootstrapServers()), new StringSerializer(), new ByteArraySerializer());
           KafkaConsumer<String, StageEvent> events = EventReader.open(broker.bootstrapServers(), "bench-makespan")) {
        submitAndWait(producer, events, List.of("warmup"), width, height, frames);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
          ids.add("job-" + i);
        }
        long b0 = System.nanoTime();
        submitAndWait(producer, events, ids, width, height, frames);
        double busSeconds = (System.nanoTime() - b0) / 1e9;
        System.out.printf("{\"jobs\": %d, \"size\": \"%s\", \"local_s\": %.1f, \"bus_s\": %.1f, \"bus_over_local\": %.2f}%n",
            jobs, args[2], localSeconds, busSeconds, busSeconds / localSeconds);
      }
      for (StageWorker worker : workers) {
        worker.close();
      }
      control.close();
    }
  }

  private static void submitAndWait(KafkaProducer<String, byte[]> producer, KafkaConsumer<String, StageEvent> events,
      List<String> ids, int width, int height, int frames) throws Exception {
    for (int i = 0; i < ids.size(); i++) {
      RenderTask task = RenderTask.newBuilder().setSpec(JobSpec.newBuilder().setJobId(ids.get(i)).setBatchId("bench")
          .setTenant("bench").setPrompt("a red ball bouncing on a blue floor").setSeed(i).setWidth(width)
          .setHeight(height).setFrames(frames).setFps(8).setPack("tiny").build())
          .setAttempt(1).setRoutingSlip(Stages.PIPELINE).setCreatedAtMillis(System.currentTimeMillis()).build();
      BenchScheduler.submit(producer, task);
      producer.flush();
    }
    Set<String> done = new HashSet<>();
    while (!done.containsAll(ids)) {
      for (ConsumerRecord<String, StageEvent> r : events.poll(Duration.ofMillis(100))) {
        StageEvent e = r.value();
        if (e.getStage() == Stage.PUBLISH && e.getType() == StageEventType.SUCCEEDED) {
          done.add(e.getJobId());
        } else if (e.getType() == StageEventType.FAILED || e.getType() == StageEventType.DEAD_LETTERED) {
          throw new IllegalStateException("job " + e.getJobId() + " failed at " + e.getStage() + ": " + e.getError());
        }
      }
    }
  }

  private static RenderPlan spec(ModelPack pack, String id, long seed, int width, int height, int frames) {
    return RenderPlan.of(id, new RenderSettings("a red ball bouncing on a blue floor", null, seed, width, height,
        frames, 8, null, null, null, null, 0, true, true), pack);
  }

  /** Each stage service's own handler, as its service builds it (see services/<stage>). */
  private static StageHandler handler(Stage stage, ModelPack pack, OnnxRuntimeEngine engine) {
    return switch (stage) {
      case REWRITE -> new RewriteHandler();
      case ENCODE -> new EncodeHandler(pack, engine);
      case DENOISE -> new DenoiseHandler(pack, engine, DenoiseHandler.DEFAULT_CHECKPOINT_EVERY);
      case DECODE -> new DecodeHandler(pack, engine);
      case UPSAMPLE -> new UpsampleHandler(pack, engine);
      case PUBLISH -> new PublishHandler(pack);
      default -> throw new IllegalArgumentException("no handler for stage " + stage);
    };
  }
}
