package io.flowreel.tracker.service;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasEntry;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import io.flowreel.contract.Stages;
import io.flowreel.contract.Topics;
import io.flowreel.messages.ArtifactFormat;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.BatchSubmission;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.messages.codec.MessageSerdes;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tracker service as it runs (Quarkus, Kafka Streams, its HTTP queries) against a real broker:
 * the test writes what the gateway and the stages would write onto the real topics, by name, and
 * reads the answers over HTTP only. The state machine's rules are unit-tested in libs/tracker; here
 * the wiring is: serdes, topics, read_committed, stores, queries, health.
 */
@QuarkusTest
@WithTestResource(EmbeddedKafkaResource.class)
class TrackerServiceTest {

  /** Kafka Streams has to join its group and restore before the first fold; then a fold takes ~100 ms. */
  private static final Duration FOLD = Duration.ofSeconds(60);
  private static final String EVENTS = Topics.EVENTS.name();
  private static final String BATCHES = Topics.BATCHES.name();

  @Inject
  @ConfigProperty(name = "flowreel.kafka.bootstrap-servers")
  String bootstrapServers;

  /** Only injected so that Quarkus registers the mapping; see {@link BuildProperties}. */
  @Inject
  BuildProperties build;

  private KafkaProducer<String, byte[]> producer;
  private long clock = System.currentTimeMillis();

  @BeforeEach
  void producer() {
    // Transactional, as the gateway's: the tracker reads committed records only.
    producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tracker-service-test-" + UUID.randomUUID(),
        ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
    producer.initTransactions();
  }

  @AfterEach
  void closeProducer() {
    producer.close(Duration.ofSeconds(5));
  }

  @Test
  void healthSaysReadyOnceTheStreamsRun() {
    await("tracker ready").atMost(FOLD).untilAsserted(() -> given().get("/q/health/ready").then()
        .statusCode(200)
        .body("status", equalTo("UP"))
        .body("checks.name", hasItem("tracker-streams"))
        .body("checks.data.state", hasItem("RUNNING")));
    given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
  }

  @Test
  void foldsABatchAndItsStageEventsIntoJobAndBatchStatus() {
    String batchId = newBatchId();
    String done = jobId(batchId, 0);
    String running = jobId(batchId, 1);
    String waiting = jobId(batchId, 2);

    inTransaction(send -> {
      send.accept(new ProducerRecord<>(BATCHES, batchId, MessageSerdes.batchSubmission().serialize(BATCHES,
          BatchSubmission.newBuilder().setBatchId(batchId).setTenant("studio-q").setIdempotencyKey("key-1")
              .setRequestSha256("ab".repeat(32)).setTotal(3).setCreatedAtMillis(clock).build())));
      for (String job : List.of(done, running, waiting)) {
        send.accept(event(queued(job, batchId, "a red ball " + job.substring(job.length() - 1))));
      }
    });
    inTransaction(send -> {
      for (Stage stage : Stages.PIPELINE) {
        send.accept(event(base(done, batchId, stage, StageEventType.STARTED)));
        StageEvent.Builder succeeded = base(done, batchId, stage, StageEventType.SUCCEEDED).setDurationMillis(20L)
            .setRewrittenPrompt("A red ball. Static camera.");
        if (stage == Stage.PUBLISH) {
          succeeded.setArtifacts(List.of(ArtifactRef.newBuilder().setStage(Stage.PUBLISH).setName("video")
              .setBucket("flowreel-output").setKey("outputs/" + batchId + "/" + done + ".mp4")
              .setSha256("cd".repeat(32)).setSize(15905).setFormat(ArtifactFormat.MP4).build()));
        }
        send.accept(event(succeeded));
      }
      send.accept(event(base(running, batchId, Stage.REWRITE, StageEventType.STARTED)));
    });

    await("job " + done + " folded to SUCCEEDED").atMost(FOLD).untilAsserted(() ->
        given().get("/tracker/jobs/{id}", done).then().statusCode(200).body("state", equalTo("SUCCEEDED")));
    JsonPath job = given().get("/tracker/jobs/{id}", done).then().statusCode(200).extract().jsonPath();
    assertThat(job.getString("jobId")).isEqualTo(done);
    assertThat(job.getString("batchId")).isEqualTo(batchId);
    assertThat(job.getString("tenant")).isEqualTo("studio-q");
    assertThat(job.getString("currentStage")).isEqualTo("PUBLISH");
    assertThat(job.getDouble("progress")).isEqualTo(1.0);
    assertThat(job.getInt("attempt")).isEqualTo(1);
    assertThat(job.getString("spec.prompt")).isEqualTo("a red ball 0");
    assertThat(job.getInt("spec.width")).isEqualTo(64);
    assertThat(job.getString("rewrittenPrompt")).isEqualTo("A red ball. Static camera.");
    assertThat(job.getMap("stages")).containsOnlyKeys("REWRITE", "ENCODE", "DENOISE", "DECODE", "UPSAMPLE",
        "PUBLISH");
    Map<String, Map<String, Object>> stages = job.getMap("stages");
    assertThat(stages.values()).allSatisfy(stage -> assertThat(stage).containsEntry("state", "SUCCEEDED"));
    assertThat(job.getList("outputs.name", String.class)).containsExactly("video");
    assertThat(job.getString("outputs[0].key")).isEqualTo("outputs/" + batchId + "/" + done + ".mp4");

    // Batch counts trail job status by the repartition step: wait for them on their own.
    await("batch " + batchId + " counted").atMost(FOLD).untilAsserted(() ->
        given().get("/tracker/batches/{id}", batchId).then().statusCode(200)
            .body("status.succeeded", equalTo(1))
            .body("status.running", equalTo(1))
            .body("status.queued", equalTo(1)));
    given().get("/tracker/batches/{id}", batchId).then().statusCode(200)
        .body("submission.batchId", equalTo(batchId))
        .body("submission.tenant", equalTo("studio-q"))
        .body("submission.idempotencyKey", equalTo("key-1"))
        .body("submission.total", equalTo(3))
        .body("status.total", equalTo(3))
        .body("status.done", equalTo(1));

    given().get("/tracker/batches/{id}/jobs", batchId).then().statusCode(200)
        .body("jobId", contains(done, running, waiting))
        .body("state", contains("SUCCEEDED", "RUNNING", "QUEUED"));
    given().queryParam("from", 1).queryParam("limit", 1).get("/tracker/batches/{id}/jobs", batchId).then()
        .statusCode(200).body("jobId", contains(running));
    given().queryParam("limit", 0).get("/tracker/batches/{id}/jobs", batchId).then().statusCode(400);

    // The tenant's lists, newest first (other tests' jobs of the tenant are there too).
    List<String> listed = given().queryParam("tenant", "studio-q").queryParam("limit", 1000).get("/tracker/jobs")
        .then().statusCode(200).extract().jsonPath().getList("jobs.jobId", String.class);
    assertThat(listed).filteredOn(id -> id.startsWith(batchId)).containsExactly(waiting, running, done);
    assertThat(given().queryParam("tenant", "studio-q").queryParam("state", "SUCCEEDED").queryParam("limit", 1000)
        .get("/tracker/jobs").then().statusCode(200).extract().jsonPath().getList("jobs.jobId", String.class))
        .contains(done).doesNotContain(running, waiting);
    JsonPath firstPage = given().queryParam("tenant", "studio-q").queryParam("limit", 1).get("/tracker/jobs")
        .then().statusCode(200).extract().jsonPath();
    assertThat(firstPage.getList("jobs")).hasSize(1);
    String next = firstPage.getString("next");
    assertThat(next).startsWith("studio-q/");
    assertThat(given().queryParam("tenant", "studio-q").queryParam("after", next).queryParam("limit", 1000)
        .get("/tracker/jobs").then().statusCode(200).extract().jsonPath().getList("jobs.jobId", String.class))
        .hasSize(listed.size() - 1).doesNotContain(firstPage.getString("jobs[0].jobId"));
    given().queryParam("tenant", "other").queryParam("after", next).get("/tracker/jobs").then().statusCode(400);
    await("batch " + batchId + " listed").atMost(FOLD).untilAsserted(() -> assertThat(given()
        .queryParam("tenant", "studio-q").queryParam("open", true).queryParam("limit", 1000).get("/tracker/batches")
        .then().statusCode(200).extract().jsonPath().getList("batches.submission.batchId", String.class))
        .contains(batchId));
    assertThat(given().queryParam("tenant", "studio-q").queryParam("open", false).queryParam("limit", 1000)
        .get("/tracker/batches").then().statusCode(200).extract().jsonPath()
        .getList("batches.submission.batchId", String.class)).doesNotContain(batchId);
  }

  @Test
  void unknownJobsAndBatchesAre404() {
    String batchId = newBatchId();
    // The stores must be queryable first, or the answer is the 503 "not ready yet".
    await("tracker ready").atMost(FOLD).untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200));
    given().get("/tracker/jobs/{id}", jobId(batchId, 0)).then().statusCode(404);
    given().get("/tracker/batches/{id}", batchId).then().statusCode(404);
    given().get("/tracker/batches/{id}/jobs", batchId).then().statusCode(200).body("size()", equalTo(0));
  }

  @Test
  void anAbortedSubmissionNeverShowsUp() {
    String batchId = newBatchId();
    String aborted = jobId(batchId, 0);
    // A job written after the aborted one into the same partition of the events topic: the tracker reads
    // a partition in order, so once this job shows, the aborted records before it have been read too.
    int partitions = producer.partitionsFor(EVENTS).size();
    String marker = null;
    for (int i = 1; marker == null; i++) {
      String candidate = jobId(batchId, i);
      if (partition(candidate, partitions) == partition(aborted, partitions)) {
        marker = candidate;
      }
    }

    producer.beginTransaction();
    producer.send(event(queued(aborted, batchId, "never submitted")));
    producer.send(event(base(aborted, batchId, Stage.REWRITE, StageEventType.STARTED)));
    producer.flush(); // on the broker, uncommitted, before the abort
    producer.abortTransaction();
    String shown = marker;
    inTransaction(send -> send.accept(event(queued(shown, batchId, "submitted"))));

    await("job " + marker + " folded").atMost(FOLD).untilAsserted(() ->
        given().get("/tracker/jobs/{id}", shown).then().statusCode(200).body("state", equalTo("QUEUED")));
    given().get("/tracker/jobs/{id}", aborted).then().statusCode(404);
  }

  /** The test profile's bound is 2 s (src/test/resources/application.properties). */
  @Test
  void aJobWithoutNewsPastTheBoundRaisesTheAlarmUntilItFinishes() {
    String batchId = newBatchId();
    String job = jobId(batchId, 0);
    // Queued an hour ago: the job longest without news of all, so among the few the health check names
    // whatever other tests left QUEUED or RUNNING.
    clock -= Duration.ofHours(1).toMillis();
    inTransaction(send -> send.accept(event(queued(job, batchId, "a red ball"))));

    String stuckJobs = "checks.find { it.name == 'stuck-jobs' }";
    await("job " + job + " reported stuck").atMost(FOLD).untilAsserted(() ->
        given().get("/q/health/group/alarms").then().statusCode(503)
            .body("status", equalTo("DOWN"))
            .body(stuckJobs + ".status", equalTo("DOWN"))
            .body(stuckJobs + ".data.bound", equalTo("PT2S"))
            .body(stuckJobs + ".data", hasEntry(equalTo(job), startsWith("QUEUED since "))));
    // Not a reason to take the tracker out of service.
    given().get("/q/health/ready").then().statusCode(200);
    assertThat(given().get("/q/metrics").then().statusCode(200).extract().asString())
        .containsPattern("(?m)^flowreel_tracker_jobs_stuck [1-9]");

    inTransaction(send -> send.accept(event(base(job, batchId, Stage.REWRITE, StageEventType.CANCELLED))));

    await("job " + job + " no longer stuck").atMost(FOLD).untilAsserted(() ->
        given().get("/q/health/group/alarms").then().body(stuckJobs + ".data", not(hasKey(job))));
  }

  /** Job ids as the gateway names them: the batch id and the job's index in the batch. */
  @Test
  void unreadableRecordsAreDeadLetteredAndSkippedAndStatusGoesOn() {
    String batchId = newBatchId();
    String job = jobId(batchId, 0);
    inTransaction(send -> {
      send.accept(new ProducerRecord<>(EVENTS, job, new byte[18]));
      send.accept(new ProducerRecord<>(BATCHES, batchId, new byte[] {1, 2, 3}));
      send.accept(event(queued(job, batchId, "a red ball")));
      send.accept(event(base(job, batchId, Stage.REWRITE, StageEventType.STARTED)));
    });

    await("job " + job + " folded past the unreadable record").atMost(FOLD).untilAsserted(() ->
        given().get("/tracker/jobs/{id}", job).then().statusCode(200).body("state", equalTo("RUNNING")));
    await("both dead-lettered").atMost(FOLD).until(() -> deadLetteredKeys().containsAll(List.of(job, batchId)));
  }

  /** The keys of every record on flowreel.dlq.unreadable so far. */
  private List<String> deadLetteredKeys() {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), new StringDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(Topics.UNREADABLE.name()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      List<String> keys = new ArrayList<>();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> keys.add(r.key()));
      }
      return keys;
    }
  }

  private static String jobId(String batchId, int index) {
    return String.format("%s-%06d", batchId, index);
  }

  /** Where the producer's default partitioner puts a key (murmur2, as Kafka's clients do). */
  private static int partition(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  private void inTransaction(Consumer<Consumer<ProducerRecord<String, byte[]>>> sends) {
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    sends.accept(records::add);
    producer.beginTransaction();
    records.forEach(producer::send);
    producer.commitTransaction();
  }

  private ProducerRecord<String, byte[]> event(StageEvent.Builder event) {
    StageEvent built = event.build();
    return new ProducerRecord<>(EVENTS, built.getJobId(), MessageSerdes.stageEvent().serialize(EVENTS, built));
  }

  /** The gateway's QUEUED: the job's spec, addressed to the first stage. */
  private StageEvent.Builder queued(String jobId, String batchId, String prompt) {
    JobSpec spec = JobSpec.newBuilder().setJobId(jobId).setBatchId(batchId).setTenant("studio-q").setPrompt(prompt)
        .setSeed(7).setWidth(64).setHeight(64).setFrames(5).setFps(8).setSteps(4).setPack("tiny").build();
    return base(jobId, batchId, Stage.REWRITE, StageEventType.QUEUED).setWorker("gateway").setSpec(spec);
  }

  private StageEvent.Builder base(String jobId, String batchId, Stage stage, StageEventType type) {
    clock += 10;
    return StageEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setJobId(jobId).setBatchId(batchId)
        .setTenant("studio-q").setStage(stage).setAttempt(1).setType(type).setTimeMillis(clock)
        .setWorker(stage.name().toLowerCase() + "-1");
  }

  /** Batch ids as the gateway makes them: b- and 24 hex digits; a new one per test, so tests do not meet. */
  private static String newBatchId() {
    byte[] bytes = new byte[12];
    ThreadLocalRandom.current().nextBytes(bytes);
    return "b-" + HexFormat.of().formatHex(bytes);
  }
}
