package io.flowreel.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.contract.Ids;
import io.flowreel.contract.Stages;
import io.flowreel.contract.Topics;
import io.flowreel.infra.KafkaBroker;
import io.flowreel.infra.TopicCatalog;
import io.flowreel.infra.TopicSetup;
import io.flowreel.messages.ArtifactFormat;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.BatchSubmission;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.messages.TensorRef;
import io.flowreel.tracker.BatchStatus;
import io.flowreel.tracker.JobState;
import io.flowreel.tracker.JobStatus;
import io.flowreel.tracker.TrackerTopology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Issue 19 item 1, the tracker's fold alone: a synthetic event stream shaped like the load benchmark's (JOBS
 * jobs submitted in batches, a QUEUED event each as the gateway sends it, and every RUN_EVERY-th job run through
 * all six stages with the stage workers' STARTED, PROGRESS and SUCCEEDED events), folded by
 * {@link TrackerTopology}:
 *
 * <ul>
 *   <li>{@code driver}: through a {@link TopologyTestDriver} (the topology and its RocksDB stores, no broker);
 *   <li>{@code streams}: by a fresh {@link KafkaStreams} app per repeat, set up as the tracker service sets it up
 *       (exactly once, commit interval 100 ms, from the earliest offset), against an embedded broker that
 *       already holds the whole stream; timed from RUNNING until its committed offsets reach the end of the
 *       events topic and of its repartition topic.
 * </ul>
 *
 * The first {@code streams} run (2026-12-05, 20,000 jobs, the earlier KTable-aggregation topology, a loaded
 * machine) never saw its committed offsets reach the end of the events topic within 15 minutes, after the broker
 * logged OutOfOrderSequenceException on the app's first changelog and repartition appends. A run of the job-change
 * topology on 2026-12-06 waited the same way from its third repeat, more than five minutes after the broker
 * started: the broker's retention check had deleted events stamped older than the topic's 30 days ({@link #T0}).
 * The first hang may well have been the same.
 *
 * <p>Each repeat checks the fold: every batch's counts must match the stream. Prints one JSON line per repeat and
 * one per mode with median, min and max.
 *
 * <pre>
 * FoldBench [--mode driver|streams|both] [--jobs 100000] [--batch 1000] [--run-every 50] [--repeats 3]
 *     [--warmup 1]
 * </pre>
 */
public final class FoldBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TENANT = "fold";
  /**
   * The stream's first timestamp: recent, since the broker deletes log segments whose newest record is older than
   * the events topic's 30-day retention. With a fixed date (2026-05-28) the events were gone at the broker's first
   * retention check, five minutes in, and the next repeat waited for records that no longer existed.
   */
  private static final long T0 = System.currentTimeMillis() - Duration.ofHours(1).toMillis();

  private final String mode;
  private final int jobs;
  private final int batchSize;
  private final int runEvery;
  private final int repeats;
  private final int warmup;

  private FoldBench(Map<String, String> opts) {
    mode = opts.getOrDefault("mode", "both");
    jobs = Integer.parseInt(opts.getOrDefault("jobs", "100000"));
    batchSize = Integer.parseInt(opts.getOrDefault("batch", "1000"));
    runEvery = Integer.parseInt(opts.getOrDefault("run-every", "50"));
    repeats = Integer.parseInt(opts.getOrDefault("repeats", "3"));
    warmup = Integer.parseInt(opts.getOrDefault("warmup", "1"));
    if (jobs % batchSize != 0) {
      throw new IllegalArgumentException("--jobs must be a multiple of --batch");
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    new FoldBench(opts).run();
    System.exit(0); // Kafka's client threads must not keep the JVM alive
  }

  // ---------------------------------------------------------------- the stream

  /** One record of a topic, already serialized as its producer serializes it. */
  record Raw(String topic, String key, byte[] value, long timestamp) {}

  /** The records, batches topic first, and the counts the fold must end at. */
  record Stream(List<Raw> submissions, List<Raw> events, Map<String, BatchStatus> expected) {}

  private Stream generate() {
    Random random = new Random(19);
    List<Raw> submissions = new ArrayList<>();
    List<Raw> events = new ArrayList<>();
    Map<String, BatchStatus> expected = new LinkedHashMap<>();
    long clock = T0;
    // Stage events trail the submissions, as they do on the farm: the stages take jobs while more are queued.
    List<List<StageEvent>> running = new ArrayList<>();
    for (int b = 0; b < jobs / batchSize; b++) {
      String batchId = String.format("b-%012x", b);
      BatchSubmission submission = BatchSubmission.newBuilder().setBatchId(batchId).setTenant(TENANT)
          .setIdempotencyKey("key-" + b).setRequestSha256("ab".repeat(32)).setTotal(batchSize)
          .setCreatedAtMillis(clock).build();
      submissions.add(new Raw(Topics.BATCHES.name(), batchId, Topics.BATCHES.serializeValue(submission), clock));
      BatchStatus counts = BatchStatus.empty(batchId, TENANT);
      for (int i = 0; i < batchSize; i++) {
        clock++;
        JobSpec spec = JobSpec.newBuilder().setJobId(Ids.jobId(batchId, i)).setBatchId(batchId).setTenant(TENANT)
            .setPrompt(PROMPTS[random.nextInt(PROMPTS.length)]).setSeed(random.nextLong() & Long.MAX_VALUE)
            .setWidth(256).setHeight(256).setFrames(17).setFps(8).setPack("tiny").build();
        events.add(event(queued(spec, clock), clock));
        boolean runs = (b * batchSize + i) % runEvery == 0;
        counts = counts.change(null, runs ? JobState.SUCCEEDED : JobState.QUEUED);
        if (runs) {
          running.add(new ArrayList<>(stageEvents(spec, clock)));
        }
        // One stage event of a running job after every few QUEUED, round robin over the jobs that run.
        if (i % 4 == 0) {
          clock = drainOne(running, events, clock);
        }
      }
      expected.put(batchId, counts);
    }
    while (!running.isEmpty()) {
      clock = drainOne(running, events, clock);
    }
    return new Stream(submissions, events, expected);
  }

  private static long drainOne(List<List<StageEvent>> running, List<Raw> events, long clock) {
    if (running.isEmpty()) {
      return clock;
    }
    List<StageEvent> next = running.get(0);
    StageEvent e = next.remove(0);
    e.setTimeMillis(++clock);
    events.add(event(e, clock));
    running.remove(0);
    if (!next.isEmpty()) {
      running.add(next);
    }
    return clock;
  }

  private static Raw event(StageEvent e, long timestamp) {
    return new Raw(Topics.EVENTS.name(), e.getJobId(), Topics.EVENTS.serializeValue(e), timestamp);
  }

  /** The gateway's QUEUED (PipelineDispatcher): the spec, addressed to the first stage. */
  private static StageEvent queued(JobSpec spec, long time) {
    return StageEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setJobId(spec.getJobId())
        .setBatchId(spec.getBatchId()).setTenant(spec.getTenant()).setStage(Stage.REWRITE).setAttempt(1)
        .setType(StageEventType.QUEUED).setTimeMillis(time).setWorker("gateway").setSpec(spec).build();
  }

  /** What the six stage workers send for one job on simulated compute: STARTED, PROGRESS (denoise), SUCCEEDED. */
  private static List<StageEvent> stageEvents(JobSpec spec, long time) {
    List<StageEvent> out = new ArrayList<>();
    for (Stage stage : Stages.PIPELINE) {
      out.add(stageEvent(spec, stage, StageEventType.STARTED, time).build());
      if (stage == Stage.DENOISE) {
        for (int step = 1; step <= 4; step++) {
          out.add(stageEvent(spec, stage, StageEventType.PROGRESS, time).setStep(step).setTotalSteps(4).build());
        }
      }
      StageEvent.Builder done = stageEvent(spec, stage, StageEventType.SUCCEEDED, time).setDurationMillis(40L)
          .setArtifacts(List.of(artifact(spec.getJobId(), stage)));
      if (stage != Stage.REWRITE) {
        done.setRewrittenPrompt(spec.getPrompt() + ", highly detailed, soft light");
      }
      out.add(done.build());
    }
    return out;
  }

  private static StageEvent.Builder stageEvent(JobSpec spec, Stage stage, StageEventType type, long time) {
    return StageEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setJobId(spec.getJobId())
        .setBatchId(spec.getBatchId()).setTenant(spec.getTenant()).setStage(stage).setAttempt(1).setType(type)
        .setTimeMillis(time).setWorker(Stages.id(stage) + "-1").setSimulated(true)
        .setArtifacts(List.<ArtifactRef>of());
  }

  private static ArtifactRef artifact(String jobId, Stage stage) {
    boolean video = stage == Stage.PUBLISH;
    String name = video ? "video" : stage.name().toLowerCase();
    return ArtifactRef.newBuilder().setStage(stage).setName(name)
        .setBucket(video ? "flowreel-output" : "flowreel-work")
        .setKey("jobs/" + jobId + "/attempt-1/" + stage.name().toLowerCase() + "/" + name
            + (video ? ".mp4" : ".safetensors"))
        .setSha256("cd".repeat(32)).setSize(video ? 120_000 : 262_144)
        .setFormat(video ? ArtifactFormat.MP4 : ArtifactFormat.SAFETENSORS)
        .setTensors(video ? List.of() : List.of(TensorRef.newBuilder().setName("latent").setDtype("F32")
            .setShape(List.of(1L, 8L, 5L, 32L, 32L)).build()))
        .build();
  }

  private static final String[] PROMPTS = {
      "a red fox running through fresh snow at dusk, cinematic",
      "slow pan over a harbour full of fishing boats in the morning fog",
      "a paper boat drifting down a rain gutter, macro shot",
      "timelapse of clouds rolling over a mountain ridge",
      "a cat knocking a glass of water off a kitchen table",
  };

  // ---------------------------------------------------------------- the runs

  private void run() throws Exception {
    long t = System.nanoTime();
    Stream stream = generate();
    Map<String, Object> head = line("stream");
    head.put("jobs", jobs);
    head.put("batches", stream.submissions().size());
    head.put("events", stream.events().size());
    head.put("event_bytes", stream.events().stream().mapToLong(r -> r.value().length).sum());
    head.put("jobs_run_through_all_stages", (jobs + runEvery - 1) / runEvery);
    head.put("generate_s", round((System.nanoTime() - t) / 1e9));
    print(head);
    if (mode.equals("driver") || mode.equals("both")) {
      repeat("driver", this::driver, stream);
    }
    if (mode.equals("streams") || mode.equals("both")) {
      Path dir = Files.createTempDirectory("flowreel-foldbench");
      try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"))) {
        TopicSetup.apply(broker.bootstrapServers(), TopicCatalog.standard()).requireNoMismatch();
        produce(broker.bootstrapServers(), stream);
        repeat("streams", s -> streams(broker.bootstrapServers(), s), stream);
      } finally {
        deleteTree(dir);
      }
    }
  }

  interface Fold {
    /** Folds the stream once and returns the seconds it took; fails when the counts are wrong. */
    double fold(Stream stream) throws Exception;
  }

  private void repeat(String how, Fold fold, Stream stream) throws Exception {
    double[] rates = new double[repeats];
    for (int r = -warmup; r < repeats; r++) {
      double seconds = fold.fold(stream);
      double rate = stream.events().size() / seconds;
      Map<String, Object> m = line("fold-" + how);
      m.put("repeat", r < 0 ? "warmup" : r + 1);
      m.put("events", stream.events().size());
      m.put("seconds", round(seconds));
      m.put("events_per_s", round(rate));
      print(m);
      if (r >= 0) {
        rates[r] = rate;
      }
    }
    Map<String, Object> m = line("fold-" + how + "-summary");
    m.put("repeats", repeats);
    m.put("events_per_s_median", round(Stats.median(rates)));
    m.put("events_per_s_min", round(Arrays.stream(rates).min().orElse(Double.NaN)));
    m.put("events_per_s_max", round(Arrays.stream(rates).max().orElse(Double.NaN)));
    m.put("target_events_per_s", 20000);
    print(m);
  }

  private static Properties trackerProps(String appId, String bootstrap, Path state) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    props.putAll(TrackerTopology.errorHandling());
    return props;
  }

  private double driver(Stream stream) throws Exception {
    Path state = Files.createTempDirectory("foldbench-ttd");
    try (TopologyTestDriver driver = new TopologyTestDriver(TrackerTopology.build(),
        trackerProps("foldbench-ttd", "unused:9092", state))) {
      pipe(driver, stream.submissions());
      long t0 = System.nanoTime();
      pipe(driver, stream.events());
      double seconds = (System.nanoTime() - t0) / 1e9;
      KeyValueStore<String, BatchStatus> batches = driver.getKeyValueStore(TrackerTopology.BATCHES_STORE);
      check(stream, batches::get);
      return seconds;
    } finally {
      deleteTree(state);
    }
  }

  private static void pipe(TopologyTestDriver driver, List<Raw> records) {
    Map<String, TestInputTopic<String, byte[]>> inputs = new HashMap<>();
    for (Raw r : records) {
      inputs.computeIfAbsent(r.topic(), t -> driver.createInputTopic(t, new StringSerializer(),
          new ByteArraySerializer())).pipeInput(new TestRecord<>(r.key(), r.value(), new RecordHeaders(), r.timestamp()));
    }
  }

  private static void produce(String bootstrap, Stream stream) throws Exception {
    Map<String, Object> config = Map.of("bootstrap.servers", bootstrap, "linger.ms", 20, "batch.size", 262_144);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
      for (Raw r : stream.submissions()) {
        producer.send(new ProducerRecord<>(r.topic(), null, r.timestamp(), r.key(), r.value()));
      }
      for (Raw r : stream.events()) {
        producer.send(new ProducerRecord<>(r.topic(), null, r.timestamp(), r.key(), r.value()));
      }
      producer.flush();
    }
  }

  private int streamsRuns;

  /** A fresh app (own application id, so it folds the whole topic again), configured as TrackerStreams. */
  private double streams(String bootstrap, Stream stream) throws Exception {
    String appId = "foldbench-" + (++streamsRuns) + "-" + Long.toString(System.currentTimeMillis(), 36);
    Path state = Files.createTempDirectory("foldbench-streams");
    Properties props = trackerProps(appId, bootstrap, state);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    KafkaStreams streams = new KafkaStreams(TrackerTopology.build(), props);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      List<TopicPartition> events = partitions(admin, Topics.EVENTS.name());
      long end = endOffsets(admin, events);
      streams.start();
      await(Duration.ofMinutes(2), () -> streams.state() == KafkaStreams.State.RUNNING, "RUNNING");
      long running = System.nanoTime();
      await(Duration.ofMinutes(15), () -> committed(admin, appId, events) >= end, "the end of the events");
      // The batch counts come one step later, through the repartition topic.
      List<TopicPartition> repartition =
          partitions(admin, appId + "-" + TrackerTopology.JOB_CHANGES + "-repartition");
      long repartitionEnd = endOffsets(admin, repartition);
      await(Duration.ofMinutes(10), () -> committed(admin, appId, repartition) >= repartitionEnd,
          "the end of the repartition topic");
      double seconds = (System.nanoTime() - running) / 1e9;
      ReadOnlyKeyValueStore<String, BatchStatus> batches = streams.store(StoreQueryParameters.fromNameAndType(
          TrackerTopology.BATCHES_STORE, QueryableStoreTypes.keyValueStore()));
      check(stream, batches::get);
      return seconds;
    } finally {
      streams.close(Duration.ofSeconds(30));
      streams.cleanUp();
      deleteTree(state);
    }
  }

  private static void check(Stream stream, java.util.function.Function<String, BatchStatus> batches) {
    for (Map.Entry<String, BatchStatus> e : stream.expected().entrySet()) {
      BatchStatus got = batches.apply(e.getKey());
      if (!e.getValue().equals(got)) {
        throw new IllegalStateException("batch " + e.getKey() + ": expected " + e.getValue() + ", folded " + got);
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private static List<TopicPartition> partitions(Admin admin, String topic) throws Exception {
    return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions()
        .stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }

  private static long endOffsets(Admin admin, List<TopicPartition> partitions) throws Exception {
    Map<TopicPartition, OffsetSpec> spec = new HashMap<>();
    partitions.forEach(tp -> spec.put(tp, OffsetSpec.latest()));
    return admin.listOffsets(spec, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
        .get(30, TimeUnit.SECONDS).values().stream().mapToLong(i -> i.offset()).sum();
  }

  private static long committed(Admin admin, String group, List<TopicPartition> partitions) {
    try {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      return partitions.stream().map(offsets::get).mapToLong(o -> o == null ? 0 : o.offset()).sum();
    } catch (Exception e) {
      return -1;
    }
  }

  private static void await(Duration timeout, BooleanSupplier done, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    if (Files.exists(dir)) {
      try (var walk = Files.walk(dir)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private static Map<String, Object> line(String measurement) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("measurement", measurement);
    m.put("time", java.time.Instant.now().toString());
    return m;
  }

  private static void print(Map<String, Object> m) throws java.io.IOException {
    System.out.println(JSON.writeValueAsString(m));
    System.out.flush();
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
