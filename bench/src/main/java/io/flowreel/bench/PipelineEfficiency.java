package io.flowreel.bench;

import io.flowreel.scheduler.Scheduler;
import io.flowreel.contract.Stages;
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
import io.flowreel.runtime.SimulatedStage;
import io.flowreel.runtime.StageWorker;
import io.flowreel.runtime.WorkerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Pipeline efficiency (issue 19, item 3): JOBS jobs submitted at once to stages on simulated
 * compute with calibrated hold times and several workers for the slow stages (all workers in this
 * JVM, real broker and S3 server). Reports the makespan against the bound the bottleneck stage
 * sets (jobs x its hold / its workers, plus the other stages' holds once, the pipeline fill) and
 * each stage's busy fraction (time in the handler / (workers x makespan)).
 * Usage: PipelineEfficiency JOBS STAGE=HOLD_MS:WORKERS ... (every stage of the pipeline)
 */
public final class PipelineEfficiency {

  private static final int ARTIFACT_BYTES = 256 * 1024;

  record StagePlan(long holdMillis, int workers) {}

  public static void main(String[] args) throws Exception {
    int jobs = Integer.parseInt(args[0]);
    Map<Stage, StagePlan> plan = new EnumMap<>(Stage.class);
    for (int i = 1; i < args.length; i++) {
      String[] stageAndPlan = args[i].split("=");
      String[] holdAndWorkers = stageAndPlan[1].split(":");
      plan.put(Stages.fromId(stageAndPlan[0]), new StagePlan(Long.parseLong(holdAndWorkers[0]),
          Integer.parseInt(holdAndWorkers[1])));
    }
    if (!plan.keySet().containsAll(Stages.PIPELINE)) {
      throw new IllegalArgumentException("give every stage as STAGE=HOLD_MS:WORKERS: " + Stages.PIPELINE);
    }
    Stage bottleneck = Stages.PIPELINE.stream().max((a, b) -> Double.compare(
        (double) plan.get(a).holdMillis() / plan.get(a).workers(),
        (double) plan.get(b).holdMillis() / plan.get(b).workers())).orElseThrow();
    long fill = Stages.PIPELINE.stream().filter(s -> s != bottleneck).mapToLong(s -> plan.get(s).holdMillis()).sum();
    double boundMillis = (double) jobs * plan.get(bottleneck).holdMillis() / plan.get(bottleneck).workers() + fill;

    Path dir = Files.createTempDirectory("flowreel-pipeline");
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
        for (int w = 1; w <= plan.get(stage).workers(); w++) {
          workers.add(new StageWorker(new SimulatedStage(stage, Duration.ofMillis(plan.get(stage).holdMillis()),
              ARTIFACT_BYTES), WorkerConfig.defaults(broker.bootstrapServers(), "bench-" + Stages.id(stage) + "-" + w),
              store, control).start());
        }
      }
      try (Scheduler scheduler = BenchScheduler.start(broker.bootstrapServers(), dir.resolve("scheduler"));
           KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          broker.bootstrapServers()), new StringSerializer(), new ByteArraySerializer());
           KafkaConsumer<String, StageEvent> events = EventReader.open(broker.bootstrapServers(), "bench-pipeline")) {
        run(producer, events, List.of("warmup-1", "warmup-2"), new EnumMap<>(Stage.class));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
          ids.add("job-" + i);
        }
        long t0 = System.nanoTime();
        Map<Stage, List<Long>> gaps = new EnumMap<>(Stage.class);
        Map<Stage, Long> busyMillis = run(producer, events, ids, gaps);
        double makespanMillis = (System.nanoTime() - t0) / 1e6;
        Map<String, String> busy = new LinkedHashMap<>();
        for (Stage stage : Stages.PIPELINE) {
          busy.put(Stages.id(stage), String.format("%.2f",
              busyMillis.getOrDefault(stage, 0L) / (plan.get(stage).workers() * makespanMillis)));
        }
        System.out.printf("{\"jobs\": %d, \"plan\": \"%s\", \"bottleneck\": \"%s\", \"bound_s\": %.2f, \"makespan_s\": %.2f, "
                + "\"efficiency\": %.3f, \"busy\": %s}%n", jobs, String.join(" ", List.of(args).subList(1, args.length)),
            Stages.id(bottleneck), boundMillis / 1e3, makespanMillis / 1e3, boundMillis / makespanMillis,
            busy.toString().replace("=", ": "));
        // Where the time outside the handlers goes: a worker's SUCCEEDED of one task to its STARTED of the next
        // (sending and flushing the outcome, acknowledging, the next share fetch, the control checks).
        Map<String, String> between = new LinkedHashMap<>();
        for (Stage stage : Stages.PIPELINE) {
          double[] ms = gaps.getOrDefault(stage, List.of()).stream().mapToDouble(Long::doubleValue).toArray();
          between.put(Stages.id(stage), ms.length == 0 ? "-" : String.format("p50 %.0f p90 %.0f ms (%d)",
              Stats.percentile(ms, 50), Stats.percentile(ms, 90), ms.length));
        }
        System.out.println("{\"between_tasks\": " + between.toString().replace("=", ": ") + "}");
      }
      for (StageWorker worker : workers) {
        worker.close();
      }
      control.close();
    }
  }

  /**
   * Submits the jobs at once and waits until all are published; returns each stage's time in handlers and adds to
   * {@code gaps} each worker's time from finishing one task to starting its next.
   */
  private static Map<Stage, Long> run(KafkaProducer<String, byte[]> producer, KafkaConsumer<String, StageEvent> events,
      List<String> ids, Map<Stage, List<Long>> gaps) throws Exception {
    for (int i = 0; i < ids.size(); i++) {
      RenderTask task = RenderTask.newBuilder().setSpec(JobSpec.newBuilder().setJobId(ids.get(i)).setBatchId("bench")
          .setTenant("bench").setPrompt("x").setSeed(i).setWidth(64).setHeight(64).setFrames(5).setFps(8)
          .setPack("none").build()).setAttempt(1).setRoutingSlip(Stages.PIPELINE)
          .setCreatedAtMillis(System.currentTimeMillis()).build();
      BenchScheduler.submit(producer, task);
    }
    producer.flush();
    Set<String> done = new HashSet<>();
    Set<String> wanted = new HashSet<>(ids);
    Map<Stage, Long> busy = new EnumMap<>(Stage.class);
    List<StageEvent> timeline = new ArrayList<>();
    while (!done.containsAll(wanted)) {
      for (ConsumerRecord<String, StageEvent> r : events.poll(Duration.ofMillis(100))) {
        StageEvent e = r.value();
        if (!wanted.contains(e.getJobId())) {
          continue;
        }
        if (e.getType() == StageEventType.STARTED || e.getType() == StageEventType.SUCCEEDED) {
          timeline.add(e);
        }
        if (e.getType() == StageEventType.SUCCEEDED) {
          busy.merge(e.getStage(), e.getDurationMillis(), Long::sum);
          if (e.getStage() == Stage.PUBLISH) {
            done.add(e.getJobId());
          }
        } else if (e.getType() == StageEventType.FAILED || e.getType() == StageEventType.DEAD_LETTERED) {
          throw new IllegalStateException("job " + e.getJobId() + " failed at " + e.getStage() + ": " + e.getError());
        }
      }
    }
    // Events of different jobs arrive through different partitions: order each worker's by time first.
    Map<String, List<StageEvent>> byWorker = new HashMap<>();
    timeline.forEach(e -> byWorker.computeIfAbsent(e.getWorker(), w -> new ArrayList<>()).add(e));
    for (List<StageEvent> own : byWorker.values()) {
      own.sort(Comparator.comparingLong(StageEvent::getTimeMillis));
      for (int i = 1; i < own.size(); i++) {
        if (own.get(i - 1).getType() == StageEventType.SUCCEEDED && own.get(i).getType() == StageEventType.STARTED) {
          gaps.computeIfAbsent(own.get(i).getStage(), stage -> new ArrayList<>())
              .add(own.get(i).getTimeMillis() - own.get(i - 1).getTimeMillis());
        }
      }
    }
    return busy;
  }
}
