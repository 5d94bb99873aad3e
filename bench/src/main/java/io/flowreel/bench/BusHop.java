package io.flowreel.bench;

import io.flowreel.scheduler.Scheduler;
import io.flowreel.infra.KafkaBroker;
import io.flowreel.infra.S3Server;
import io.flowreel.infra.TopicCatalog;
import io.flowreel.infra.TopicSetup;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.runtime.ArtifactStore;
import io.flowreel.runtime.ControlView;
import io.flowreel.contract.Stages;
import io.flowreel.runtime.SimulatedStage;
import io.flowreel.runtime.StageWorker;
import io.flowreel.runtime.WorkerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The cost of the bus alone: six stages on simulated compute held for no time ({@link SimulatedStage}):
 * each reads the previous stage's artifact (sha256-verified) and stores one of the same size. A hop is the time from one
 * stage's STARTED event to the next stage's STARTED event: Kafka delivery through a share group,
 * the S3 read and write of the artifact, the events. Jobs are sent one at a time so hops do not
 * queue behind each other. Usage: BusHop JOBS ARTIFACT_BYTES
 */
public final class BusHop {

  public static void main(String[] args) throws Exception {
    int jobs = Integer.parseInt(args[0]);
    int bytes = Integer.parseInt(args[1]);
    Path dir = Files.createTempDirectory("flowreel-bushop");
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
        workers.add(new StageWorker(new SimulatedStage(stage, Duration.ZERO, bytes),
            WorkerConfig.defaults(broker.bootstrapServers(), "bench-" + Stages.id(stage)), store, control).start());
      }
      try (Scheduler scheduler = BenchScheduler.start(broker.bootstrapServers(), dir.resolve("scheduler"));
           KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          broker.bootstrapServers()), new StringSerializer(), new ByteArraySerializer());
           KafkaConsumer<String, StageEvent> events = EventReader.open(broker.bootstrapServers(), "bench-events")) {
        List<Double> hops = new ArrayList<>();
        List<Double> inHandler = new ArrayList<>();
        for (int job = -2; job < jobs; job++) { // two warm-up jobs
          String id = "hop-" + (job + 2);
          RenderTask task = RenderTask.newBuilder().setSpec(JobSpec.newBuilder().setJobId(id).setBatchId("b")
              .setTenant("bench").setPrompt("x").setSeed(1).setWidth(64).setHeight(64).setFrames(5).setFps(8)
              .setPack("none").build()).setAttempt(1).setRoutingSlip(Stages.PIPELINE).setCreatedAtMillis(0L).build();
          BenchScheduler.submit(producer, task);
          producer.flush();
          Map<Stage, Long> started = new HashMap<>();
          Map<Stage, Long> handled = new HashMap<>();
          boolean done = false;
          while (!done) {
            for (ConsumerRecord<String, StageEvent> r : events.poll(Duration.ofMillis(50))) {
              StageEvent e = r.value();
              if (!id.equals(e.getJobId())) {
                continue;
              }
              if (e.getType() == StageEventType.STARTED) {
                started.put(e.getStage(), e.getTimeMillis());
              } else if (e.getType() == StageEventType.SUCCEEDED) {
                handled.put(e.getStage(), e.getDurationMillis());
              }
              done |= e.getType() == StageEventType.SUCCEEDED && e.getStage() == Stage.PUBLISH;
            }
          }
          if (job >= 0) {
            for (int i = 1; i < Stages.PIPELINE.size(); i++) {
              hops.add((double) (started.get(Stages.PIPELINE.get(i)) - started.get(Stages.PIPELINE.get(i - 1))));
              inHandler.add((double) handled.get(Stages.PIPELINE.get(i - 1)));
            }
          }
        }
        double[] sorted = hops.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double[] handler = inHandler.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double[] rest = new double[hops.size()];
        for (int i = 0; i < rest.length; i++) {
          rest[i] = hops.get(i) - inHandler.get(i);
        }
        java.util.Arrays.sort(rest);
        // In the handler: S3 read, sha256, S3 write. The rest: next task and events sent and flushed,
        // delivery to the next worker, its control checks and its STARTED event.
        System.out.printf("{\"jobs\": %d, \"hops\": %d, \"artifact_bytes\": %d, \"p50_ms\": %.0f, \"p99_ms\": %.0f, "
                + "\"max_ms\": %.0f, \"handler_p50_ms\": %.0f, \"handler_p99_ms\": %.0f, \"bus_p50_ms\": %.0f, "
                + "\"bus_p99_ms\": %.0f}%n",
            jobs, sorted.length, bytes, Stats.median(sorted), p99(sorted), sorted[sorted.length - 1],
            Stats.median(handler), p99(handler), Stats.median(rest), p99(rest));
      }
      for (StageWorker worker : workers) {
        worker.close();
      }
      control.close();
    }
  }

  private static double p99(double[] sorted) {
    return sorted[(int) Math.ceil(0.99 * sorted.length) - 1];
  }
}
