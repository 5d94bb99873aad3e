package io.flowreel.bench;

import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.handlers.StageHandlers;
import io.flowreel.infra.KafkaBroker;
import io.flowreel.infra.S3Server;
import io.flowreel.infra.TopicCatalog;
import io.flowreel.infra.TopicSetup;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.messages.codec.MessageSerdes;
import io.flowreel.pack.ModelPack;
import io.flowreel.render.LocalRenderer;
import io.flowreel.render.RenderSpec;
import io.flowreel.runtime.ArtifactStore;
import io.flowreel.runtime.ControlView;
import io.flowreel.runtime.Pipeline;
import io.flowreel.runtime.StageWorker;
import io.flowreel.runtime.Topics;
import io.flowreel.runtime.WorkerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
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
    local.render(spec("warmup", 99, width, height, frames), dir.resolve("local"), LocalRenderer.Progress.NONE, () -> false);
    long t0 = System.nanoTime();
    for (int i = 0; i < jobs; i++) {
      local.render(spec("job-" + i, i, width, height, frames), dir.resolve("local"), LocalRenderer.Progress.NONE,
          () -> false);
    }
    double localSeconds = (System.nanoTime() - t0) / 1e9;

    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"));
         S3Server s3 = S3Server.start(dir.resolve("s3"));
         ArtifactStore store = new ArtifactStore(s3.endpoint(), s3.accessKey(), s3.secretKey())) {
      TopicSetup.apply(broker.bootstrapServers(), TopicCatalog.standard()).requireNoMismatch();
      store.ensureBucket("flowreel-work");
      store.ensureBucket("flowreel-output");
      ControlView control = new ControlView(broker.bootstrapServers());
      control.awaitCaughtUp(Duration.ofSeconds(30));
      List<StageWorker> workers = new ArrayList<>();
      for (Stage stage : Pipeline.STAGES) {
        workers.add(new StageWorker(StageHandlers.create(stage, pack, engine),
            WorkerConfig.defaults(broker.bootstrapServers(), "bench-" + Topics.id(stage)), store, control).start());
      }
      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          broker.bootstrapServers()), new StringSerializer(), new ByteArraySerializer());
           KafkaConsumer<String, StageEvent> events = eventConsumer(broker.bootstrapServers())) {
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
    String topic = Topics.tasks(Stage.REWRITE);
    for (int i = 0; i < ids.size(); i++) {
      RenderTask task = RenderTask.newBuilder().setSpec(JobSpec.newBuilder().setJobId(ids.get(i)).setBatchId("bench")
          .setTenant("bench").setPrompt("a red ball bouncing on a blue floor").setSeed(i).setWidth(width)
          .setHeight(height).setFrames(frames).setFps(8).setPack("tiny").build())
          .setAttempt(1).setRoutingSlip(Pipeline.STAGES).setCreatedAtMillis(System.currentTimeMillis()).build();
      producer.send(new ProducerRecord<>(topic, ids.get(i), MessageSerdes.renderTask().serialize(topic, task))).get();
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

  private static RenderSpec spec(String id, long seed, int width, int height, int frames) {
    return new RenderSpec(id, "a red ball bouncing on a blue floor", null, seed, width, height, frames, 8, null, null,
        null, true, true);
  }

  private static KafkaConsumer<String, StageEvent> eventConsumer(String bootstrap) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("group.id", "bench-makespan");
    props.put("auto.offset.reset", "earliest");
    KafkaConsumer<String, StageEvent> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
        MessageSerdes.stageEvent().deserializer());
    consumer.subscribe(List.of(Topics.EVENTS));
    return consumer;
  }
}
