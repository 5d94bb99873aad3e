package io.flowreel.runtime;

import io.flowreel.contract.Stages;
import io.flowreel.contract.Topics;
import io.flowreel.contract.UnreadableRecords;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowreel.infra.KafkaBroker;
import io.flowreel.infra.S3Server;
import io.flowreel.infra.TopicCatalog;
import io.flowreel.infra.TopicSetup;
import io.flowreel.messages.ControlAction;
import io.flowreel.messages.ControlCommand;
import io.flowreel.messages.ControlTargetKind;
import io.flowreel.messages.DeadLetter;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.SchedulerInput;
import io.flowreel.messages.SchedulerInputKind;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.messages.codec.MessageSerdes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stage runtime against a real broker and S3 server, with a handler that only stores a marker. */
class StageWorkerTest {

  @TempDir static Path dir;
  static KafkaBroker broker;
  static S3Server s3;
  static ArtifactStore store;
  static ControlView control;
  static KafkaProducer<String, byte[]> producer;
  static final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
  static final Map<String, String> behaviour = new ConcurrentHashMap<>();
  static final List<StageWorker> workers = new CopyOnWriteArrayList<>();

  /** Stores one small artifact per task; a job's behaviour says how else to act. */
  static final StageHandler DECODE = new StageHandler() {
    @Override
    public Stage stage() {
      return Stage.DECODE;
    }

    @Override
    public Optional<String> engine() {
      return Optional.of("tensorrt");
    }

    @Override
    public Result handle(RenderTask task, StageContext context) throws Exception {
      String job = task.getSpec().getJobId();
      int run = runs.computeIfAbsent(job, k -> new AtomicInteger()).incrementAndGet();
      switch (behaviour.getOrDefault(job, "ok")) {
        case "flaky" -> {
          if (run < 3) {
            throw new java.io.IOException("storage hiccup " + run);
          }
        }
        case "broken" -> throw new CorruptArtifactException("latent of " + job + " has sha256 0000, expected 1234");
        case "slow" -> Thread.sleep(5000);
        case "steps" -> {
          for (int i = 1; i <= 50; i++) {
            if (context.stopRequested()) {
              throw new IllegalStateException("stopped at step " + i);
            }
            context.progress(i, 50);
            Thread.sleep(100);
          }
        }
        default -> { }
      }
      byte[] bytes = ("frames of " + job).getBytes(StandardCharsets.UTF_8);
      return Result.of(context.store().put(context.workBucket(),
          ArtifactKeys.key(job, task.getAttempt(), "decode", "frames", Artifact.Format.JSON), bytes,
          Artifact.Format.JSON, "decode", "frames", null));
    }
  };

  @BeforeAll
  static void start() throws Exception {
    broker = KafkaBroker.start(dir.resolve("kafka"));
    s3 = S3Server.start(dir.resolve("s3"));
    TopicSetup.apply(broker.bootstrapServers(), TopicCatalog.standard()).requireNoMismatch();
    store = new ArtifactStore(s3.endpoint(), s3.accessKey(), s3.secretKey());
    store.ensureBucket("flowreel-work");
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, Stages.workerGroup(Stage.DECODE)),
          List.of(new AlterConfigOp(new ConfigEntry("share.record.lock.duration.ms", "2000"), AlterConfigOp.OpType.SET))))
          .all().get();
    }
    control = new ControlView(broker.bootstrapServers(), "stage-worker-test");
    assertThat(control.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
    producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(),
        new ByteArraySerializer());
    WorkerConfig config = WorkerConfig.defaults(broker.bootstrapServers(), "decode-test")
        .withRetry(new RetryPolicy(3, Duration.ofMillis(200), Duration.ofSeconds(1)))
        .withLockRenewal(Duration.ofMillis(600));
    for (int i = 0; i < 2; i++) {
      workers.add(new StageWorker(DECODE, config, store, control).start());
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (StageWorker worker : workers) {
      worker.close();
    }
    producer.close();
    control.close();
    store.close();
    s3.close();
    broker.close();
  }

  @Test
  void taskMovesOnWithItsArtifactAndEvents() throws Exception {
    submit(task("ok-1", 1));
    RenderTask next = await().atMost(Duration.ofSeconds(30)).until(() -> tasksFor(Stage.UPSAMPLE, "ok-1"), l -> !l.isEmpty()).get(0);
    assertThat(next.getRoutingSlip()).containsExactly(Stage.UPSAMPLE, Stage.PUBLISH);
    assertThat(next.getArtifacts()).extracting(a -> a.getName()).containsExactly("frames");
    assertThat(next.getStageEngines()).containsExactly(Map.entry("decode", "tensorrt"));
    Artifact frames = ArtifactRefs.find(next, "frames");
    assertThat(new String(store.get(frames), StandardCharsets.UTF_8)).isEqualTo("frames of ok-1");
    assertThat(eventTypes("ok-1")).containsSubsequence(StageEventType.STARTED, StageEventType.SUCCEEDED);
    // The worker is free again: the scheduler hears of it before the task is acknowledged.
    assertThat(scheduled(SchedulerInputKind.FINISHED, Stage.DECODE, "ok-1")).singleElement()
        .satisfies(finished -> assertThat(finished.getRoutingSlip()).first().isEqualTo(Stage.DECODE));
  }

  @Test
  void transientFailureRetriesWithBackoffThenSucceeds() throws Exception {
    behaviour.put("flaky-1", "flaky");
    submit(task("flaky-1", 1));
    await().atMost(Duration.ofSeconds(30)).until(() -> eventTypes("flaky-1").contains(StageEventType.SUCCEEDED));
    assertThat(eventTypes("flaky-1")).containsSubsequence(StageEventType.STARTED, StageEventType.RETRYING,
        StageEventType.RETRYING, StageEventType.SUCCEEDED);
    assertThat(runs.get("flaky-1")).hasValue(3);
  }

  @Test
  void badInputFailsAtOnceToTheDeadLetterTopicWithTheCause() throws Exception {
    behaviour.put("broken-1", "broken");
    submit(task("broken-1", 1));
    DeadLetter letter = await().atMost(Duration.ofSeconds(30))
        .until(() -> deadLetters("broken-1"), l -> !l.isEmpty()).get(0);
    assertThat(letter.getError()).contains("latent of broken-1 has sha256 0000, expected 1234");
    assertThat(letter.getStage()).isEqualTo(Stage.DECODE);
    assertThat(runs.get("broken-1")).hasValue(1);
    assertThat(eventTypes("broken-1")).contains(StageEventType.FAILED).doesNotContain(StageEventType.SUCCEEDED);
  }

  @Test
  void aTaskLongerThanItsLockIsNeverDeliveredTwice() throws Exception {
    behaviour.put("slow-1", "slow"); // 5 s of work against a 2 s lock
    submit(task("slow-1", 1));
    await().atMost(Duration.ofSeconds(30)).until(() -> eventTypes("slow-1").contains(StageEventType.SUCCEEDED));
    assertThat(runs.get("slow-1")).hasValue(1);
    assertThat(eventTypes("slow-1").stream().filter(t -> t == StageEventType.STARTED)).hasSize(1);
  }

  @Test
  void aStorageOutageHoldsTheTaskWithoutSpendingItsTriesAndItFinishesWhenStorageIsBack() throws Exception {
    s3.kill();
    await().atMost(Duration.ofSeconds(10)).until(() -> !s3.isAlive());
    submit(task("outage-1", 1));
    StageWorker holder = await().atMost(Duration.ofSeconds(30))
        .until(() -> workers.stream().filter(w -> w.holding().isPresent()).findFirst(), Optional::isPresent).get();
    assertThat(holder.holding().get()).contains("storage unavailable since").contains("holding job outage-1");
    // Spending tries, this class's policy (3 tries, 200 ms and 400 ms apart) would dead-letter the job
    // within a second of its first failure: three seconds later it must still be held, not failed.
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
        .until(() -> holder.holding().isPresent() && deadLetters("outage-1").isEmpty());

    s3 = S3Server.start(dir.resolve("s3")); // same port, same data: storage is back
    await().atMost(Duration.ofSeconds(30)).until(() -> eventTypes("outage-1").contains(StageEventType.SUCCEEDED));
    assertThat(eventTypes("outage-1")).containsSubsequence(StageEventType.STARTED, StageEventType.RETRYING,
        StageEventType.SUCCEEDED).doesNotContain(StageEventType.FAILED, StageEventType.DEAD_LETTERED);
    assertThat(eventTypes("outage-1").stream().filter(t -> t == StageEventType.RETRYING)).as("one notice per outage")
        .hasSize(1);
    assertThat(workers).allSatisfy(w -> assertThat(w.holding()).isEmpty());
    assertThat(deadLetters("outage-1")).isEmpty();
    Artifact frames = ArtifactRefs.find(tasksFor(Stage.UPSAMPLE, "outage-1").get(0), "frames");
    assertThat(new String(store.get(frames), StandardCharsets.UTF_8)).isEqualTo("frames of outage-1");
  }

  /**
   * A lone worker renewing a long task's lock must not spend the deliveries of the tasks waiting
   * behind it. Its renewals used to acquire the next task and release it each time, so that task
   * ran several times and was then dead-lettered as "delivered 5 times" (found by the chaos run).
   */
  @Test
  void tasksWaitingBehindALongTaskAreNotChargedForItsLockRenewals() throws Exception {
    Map<String, AtomicInteger> encodeRuns = new ConcurrentHashMap<>();
    StageHandler encode = new StageHandler() {
      @Override
      public Stage stage() {
        return Stage.ENCODE;
      }

      @Override
      public Result handle(RenderTask task, StageContext context) throws Exception {
        String job = task.getSpec().getJobId();
        encodeRuns.computeIfAbsent(job, k -> new AtomicInteger()).incrementAndGet();
        if (job.startsWith("long")) {
          Thread.sleep(8000); // four 2 s locks, renewed every 600 ms
        }
        return Result.of(context.store().put(context.workBucket(),
            ArtifactKeys.key(job, task.getAttempt(), "encode", "conditioning", Artifact.Format.JSON),
            job.getBytes(StandardCharsets.UTF_8), Artifact.Format.JSON, "encode", "conditioning", null));
      }
    };
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, Stages.workerGroup(Stage.ENCODE)),
          List.of(new AlterConfigOp(new ConfigEntry("share.record.lock.duration.ms", "2000"), AlterConfigOp.OpType.SET))))
          .all().get();
    }
    List<String> jobs = List.of("long-1", "waiting-1", "waiting-2");
    try (StageWorker lone = new StageWorker(encode, WorkerConfig.defaults(broker.bootstrapServers(), "encode-lone")
        .withLockRenewal(Duration.ofMillis(600)), store, control).start()) {
      for (String job : jobs) {
        RenderTask task = RenderTask.newBuilder(task(job, 1))
            .setRoutingSlip(List.of(Stage.ENCODE, Stage.DENOISE, Stage.DECODE, Stage.PUBLISH)).build();
        String topic = Topics.tasks(Stage.ENCODE).name();
        producer.send(new ProducerRecord<>(topic, job, Topics.tasks(Stage.ENCODE).serializeValue(task))).get();
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> jobs.stream()
          .allMatch(job -> eventTypes(job).contains(StageEventType.SUCCEEDED)));
    }
    assertThat(jobs).allSatisfy(job -> assertThat(encodeRuns.get(job)).as(job + " runs").hasValue(1));
    assertThat(jobs).allSatisfy(job -> assertThat(eventTypes(job)).as(job)
        .doesNotContain(StageEventType.DEAD_LETTERED, StageEventType.FAILED));
  }

  @Test
  void simulatedComputeReadsWhatTheStageBeforeStoredHoldsTheTaskAndSaysSoInEveryEvent() throws Exception {
    SimulatedStage upsample = new SimulatedStage(Stage.UPSAMPLE, Duration.ofMillis(300), 1024);
    try (StageWorker simulated = new StageWorker(upsample, WorkerConfig.defaults(broker.bootstrapServers(),
        "upsample-simulated"), store, control).start()) {
      submit(task("simulated-1", 1));
      RenderTask decoded = await().atMost(Duration.ofSeconds(60))
          .until(() -> tasksFor(Stage.UPSAMPLE, "simulated-1"), l -> !l.isEmpty()).get(0);
      // Admitted to the upsampler as the scheduler would (there is none here).
      producer.send(new ProducerRecord<>(Topics.tasks(Stage.UPSAMPLE).name(), "simulated-1",
          Topics.tasks(Stage.UPSAMPLE).serializeValue(decoded))).get();
      RenderTask next = await().atMost(Duration.ofSeconds(60))
          .until(() -> tasksFor(Stage.PUBLISH, "simulated-1"), l -> !l.isEmpty()).get(0);
      assertThat(next.getStageEngines()).containsEntry("decode", "tensorrt").containsEntry("upsample", "simulated");
      assertThat(next.getStageMillis().get("upsample")).isGreaterThanOrEqualTo(300L);
      assertThat(store.get(ArtifactRefs.find(next, "simulated"))).hasSize(1024);
      List<StageEvent> events = read(Topics.EVENTS.name()).stream().filter(r -> "simulated-1".equals(r.key()))
          .map(r -> Topics.EVENTS.deserializeValue(r.value())).toList();
      assertThat(events).filteredOn(e -> e.getStage() == Stage.UPSAMPLE).extracting(StageEvent::getType)
          .contains(StageEventType.STARTED, StageEventType.SUCCEEDED);
      assertThat(events).allSatisfy(e -> assertThat(e.getSimulated()).as(e.getStage() + " " + e.getType())
          .isEqualTo(e.getStage() == Stage.UPSAMPLE));
    }
  }

  @Test
  void cancellationStopsARunningTaskBetweenSteps() throws Exception {
    behaviour.put("cancel-1", "steps");
    submit(task("cancel-1", 1));
    await().atMost(Duration.ofSeconds(30)).until(() -> eventTypes("cancel-1").contains(StageEventType.PROGRESS));
    sendControl(new ControlCommand("cancel-1", ControlTargetKind.JOB, ControlAction.CANCEL, "test", null,
        System.currentTimeMillis(), null));
    await().atMost(Duration.ofSeconds(10)).until(() -> eventTypes("cancel-1").contains(StageEventType.CANCELLED));
    assertThat(eventTypes("cancel-1")).doesNotContain(StageEventType.SUCCEEDED);
    assertThat(tasksFor(Stage.UPSAMPLE, "cancel-1")).isEmpty();
    await().atMost(Duration.ofSeconds(10)).until(() -> scheduled(SchedulerInputKind.FINISHED, Stage.DECODE, "cancel-1"),
        finished -> finished.size() == 1);
  }

  @Test
  void aSupersededAttemptIsDropped() throws Exception {
    sendControl(new ControlCommand("retried-1", ControlTargetKind.JOB, ControlAction.RESUME, "retry", 2,
        System.currentTimeMillis(), null));
    await().atMost(Duration.ofSeconds(10)).until(() -> control.currentAttempt("retried-1") == 2);
    submit(task("retried-1", 1));
    submit(task("retried-1", 2));
    await().atMost(Duration.ofSeconds(30)).until(() -> tasksFor(Stage.UPSAMPLE, "retried-1"), l -> !l.isEmpty());
    // A dropped attempt sends nothing, so its absence proves something only once a worker is done
    // with it: when every decode task is acknowledged, since a worker forwards before it acknowledges.
    await().atMost(Duration.ofSeconds(30)).until(StageWorkerTest::everyDecodeTaskAcknowledged);
    assertThat(tasksFor(Stage.UPSAMPLE, "retried-1")).extracting(RenderTask::getAttempt).containsExactly(2);
  }

  @Test
  void aRecordThatIsNotATaskGoesToTheDeadLetterTopicAsItIs() throws Exception {
    producer.send(new ProducerRecord<>(Topics.tasks(Stage.DECODE).name(), "garbage-1", new byte[] {1, 2, 3})).get();
    ConsumerRecord<String, byte[]> raw = await().atMost(Duration.ofSeconds(30))
        .until(() -> read(Topics.deadLetters(Stage.DECODE).name()).stream().filter(r -> "garbage-1".equals(r.key())).toList(),
            l -> !l.isEmpty()).get(0);
    assertThat(raw.value()).containsExactly(1, 2, 3);
    assertThat(new String(raw.headers().lastHeader("flowreel.error").value(), StandardCharsets.UTF_8))
        .isNotBlank();
  }

  @Test
  void unreadableControlRecordsAreDeadLetteredAndSkippedAndCancelStillWorks() throws Exception {
    producer.send(new ProducerRecord<>(Topics.CONTROL.name(), "poison-1", new byte[18])).get();
    producer.send(new ProducerRecord<>(Topics.CONTROL.name(), "poison-2", newerSchemaRecord())).get();
    sendControl(new ControlCommand("cancel-2", ControlTargetKind.JOB, ControlAction.CANCEL, "test", null,
        System.currentTimeMillis(), null));
    sendControl(new ControlCommand("fenced-2", ControlTargetKind.JOB, ControlAction.RESUME, "retry", 2,
        System.currentTimeMillis(), null));
    await().atMost(Duration.ofSeconds(10)).until(() -> control.cancelled("cancel-2", null));
    await().atMost(Duration.ofSeconds(10)).until(() -> control.currentAttempt("fenced-2") == 2);
    submit(task("cancel-2", 1));
    await().atMost(Duration.ofSeconds(30)).until(() -> eventTypes("cancel-2").contains(StageEventType.CANCELLED));
    assertThat(eventTypes("cancel-2")).doesNotContain(StageEventType.STARTED);

    List<ConsumerRecord<String, byte[]>> letters = await().atMost(Duration.ofSeconds(10))
        .until(() -> read(Topics.UNREADABLE.name()).stream()
            .filter(r -> "stage-worker-test".equals(header(r, UnreadableRecords.READER))).toList(), l -> l.size() >= 2);
    assertThat(letters).extracting(ConsumerRecord::key).containsExactly("poison-1", "poison-2");
    assertThat(letters.get(0).value()).hasSize(18);
    assertThat(letters).allSatisfy(r -> assertThat(header(r, UnreadableRecords.SOURCE_TOPIC))
        .isEqualTo(Topics.CONTROL.name()));
    assertThat(header(letters.get(1), UnreadableRecords.ERROR_CLASS)).endsWith("UnknownSchemaException");

    // A worker starting now reads past both to the end, as every restarted stage must.
    try (ControlView restarted = new ControlView(broker.bootstrapServers(), "restarted")) {
      assertThat(restarted.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
      assertThat(restarted.cancelled("cancel-2", null)).isTrue();
    }
  }

  /** A control command as a newer writer would send it: single-object encoding with a fingerprint no one here knows. */
  private static byte[] newerSchemaRecord() {
    byte[] body = Topics.CONTROL.serializeValue(new ControlCommand("x", ControlTargetKind.JOB, ControlAction.CANCEL,
        null, null, 1L, null));
    for (int i = 2; i < 10; i++) {
      body[i] = (byte) ~body[i];
    }
    return body;
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    var header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  static RenderTask task(String job, int attempt) {
    JobSpec spec = JobSpec.newBuilder().setJobId(job).setBatchId("batch-1").setTenant("studio").setPrompt("a red ball")
        .setSeed(1).setWidth(64).setHeight(64).setFrames(5).setFps(8).setPack("tiny").build();
    return RenderTask.newBuilder().setSpec(spec).setAttempt(attempt)
        .setRoutingSlip(List.of(Stage.DECODE, Stage.UPSAMPLE, Stage.PUBLISH)).setCreatedAtMillis(1L).build();
  }

  static void submit(RenderTask task) throws Exception {
    String topic = Topics.tasks(Stage.DECODE).name();
    producer.send(new ProducerRecord<>(topic, task.getSpec().getJobId(), MessageSerdes.renderTask().serialize(topic, task)))
        .get();
  }

  /**
   * Whether the decode workers' share group has acknowledged every record on its task topic: its lag
   * counts the records still available or acquired. (Its start offset is no such proof: on the
   * embedded 4.4.0 broker it stayed behind records already acknowledged.)
   */
  static boolean everyDecodeTaskAcknowledged() throws Exception {
    String group = Stages.workerGroup(Stage.DECODE);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      Collection<SharePartitionOffsetInfo> partitions = admin.listShareGroupOffsets(
              Map.of(group, new ListShareGroupOffsetsSpec())).partitionsToOffsetInfo(group)
          .get(10, TimeUnit.SECONDS).values();
      return !partitions.isEmpty() && partitions.stream().allMatch(p -> p.lag().orElse(-1L) == 0);
    }
  }

  static void sendControl(ControlCommand command) throws Exception {
    producer.send(new ProducerRecord<>(Topics.CONTROL.name(), command.getTargetId(),
        Topics.CONTROL.serializeValue(command))).get();
  }

  static List<StageEventType> eventTypes(String job) {
    return read(Topics.EVENTS.name()).stream().filter(r -> job.equals(r.key()))
        .map(r -> Topics.EVENTS.deserializeValue(r.value()))
        .map(StageEvent::getType).toList();
  }

  /** The tasks a worker sent on to the scheduler for {@code stage}. */
  static List<RenderTask> tasksFor(Stage stage, String job) {
    return scheduled(SchedulerInputKind.WAITING, stage, job);
  }

  static List<RenderTask> scheduled(SchedulerInputKind kind, Stage stage, String job) {
    return read(Topics.SCHEDULE.name()).stream().filter(r -> Stages.id(stage).equals(r.key()))
        .map(r -> Topics.SCHEDULE.deserializeValue(r.value()))
        .filter(input -> input.getKind() == kind && job.equals(input.getTask().getSpec().getJobId()))
        .map(SchedulerInput::getTask).toList();
  }

  static List<DeadLetter> deadLetters(String job) {
    return read(Topics.deadLetters(Stage.DECODE).name()).stream().filter(r -> job.equals(r.key()))
        .filter(r -> r.headers().lastHeader("flowreel.error") == null)
        .map(r -> Topics.deadLetters(Stage.DECODE).deserializeValue(r.value())).toList();
  }

  /** Everything on a topic so far, read without a group. */
  static List<ConsumerRecord<String, byte[]>> read(String topic) {
    Properties props = new Properties();
    props.put("bootstrap.servers", broker.bootstrapServers());
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      return out;
    }
  }
}
