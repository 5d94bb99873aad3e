package io.flowreel.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import io.flowreel.contract.ApiKeys;
import io.flowreel.contract.Stages;
import io.flowreel.contract.Topics;
import io.flowreel.gateway.FakeTracker.Reply;
import io.flowreel.messages.BatchSubmission;
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
import io.flowreel.pack.RenderPlan;
import io.flowreel.submission.BatchIds;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gateway's {@code /v1} API as it runs in Quarkus, against a real Kafka broker (what it submits
 * is read back from the topics, by name, as the stages and the tracker would read it) and a
 * {@link FakeTracker} (status answers the test controls). Validation rules are unit-tested in
 * libs/submission and the whole farm in it/GatewayIT; here: HTTP mapping, transactions onto the
 * topics, the tracker's answers turned into the API's JSON, signed links, OpenAPI and health.
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class GatewayApiTest {

  private static final Duration READ = Duration.ofSeconds(30);
  private static final String BATCHES = "flowreel.batches";
  private static final String EVENTS = "flowreel.events";
  private static final List<String> ALL_TOPICS = Stream.concat(
      Stream.of("rewrite", "encode", "denoise", "decode", "upsample", "publish")
          .flatMap(s -> Stream.of("flowreel.tasks." + s, "flowreel.dlq." + s)),
      Stream.of(EVENTS, BATCHES, "flowreel.control", "flowreel.schedule")).toList();
  private static final String BATCH_ID = "b-42e43e23765a51743ff16cbb";
  private static final String JOB_ID = BATCH_ID + "-000001";
  /** The tenant of the tracker's answers below. */
  private static final String STUDIO = "it-studio";

  /** Set by {@link GatewayTestResources}. */
  FakeTracker tracker;

  @Inject
  @ConfigProperty(name = "flowreel.kafka.bootstrap-servers")
  String bootstrapServers;

  /** Only injected so that Quarkus registers the mapping; see {@link BuildProperties}. */
  @Inject
  BuildProperties build;

  @Inject
  EventStreams streams;

  @Inject
  @ConfigProperty(name = "quarkus.http.limits.max-body-size")
  MemorySize maxBodySize;

  @Inject
  @ConfigProperty(name = "quarkus.http.limits.max-header-size")
  MemorySize maxHeaderSize;

  @BeforeEach
  void freshTracker() {
    tracker.reset();
  }

  @Test
  void submitsAJsonBatchInOneTransactionOntoTheTopics() {
    trackerKnowsEveryBatch();

    JsonPath answer = as("studio-q").contentType(ContentType.JSON)
        .body("""
            {"defaults": {"width": 64, "height": 64, "frames": 5, "steps": 4},
             "jobs": [{"prompt": "a red ball", "seed": 1}, {"prompt": "a blue box drifting left", "rewrite": false}]}
            """)
        .post("/v1/batches").then()
        .statusCode(201)
        .header("Location", matchesPattern(".*/v1/batches/b-[0-9a-f]{24}"))
        .body("batch.tenant", equalTo("studio-q"))
        .body("batch.total", equalTo(2))
        .body("batch.queued", equalTo(2))
        .body("batch.done", equalTo(0))
        .body("batch", not(hasKey("idempotencyKey")))
        .extract().jsonPath();
    String batchId = answer.getString("batch.id");
    assertThat(answer.getList("jobIds", String.class)).containsExactly(batchId + "-000000", batchId + "-000001");
    assertThat(answer.getString("batch.jobs")).isEqualTo("/v1/batches/" + batchId + "/jobs");

    BatchSubmission submission = single(readCommitted(BATCHES, batchId), MessageSerdes.batchSubmission()::deserialize);
    assertThat(submission.getBatchId()).isEqualTo(batchId);
    assertThat(submission.getTenant()).isEqualTo("studio-q");
    assertThat(submission.getTotal()).isEqualTo(2);
    assertThat(submission.getIdempotencyKey()).isNull();
    assertThat(submission.getRequestSha256()).matches("[0-9a-f]{64}");

    // Each job's first task goes to its first stage: job 0 rewrites, job 1 asked not to.
    RenderTask first = single(waitingFor("rewrite", batchId));
    assertThat(first.getSpec().getJobId()).isEqualTo(batchId + "-000000");
    assertThat(first.getSpec().getPrompt()).isEqualTo("a red ball");
    assertThat(first.getSpec().getSeed()).isEqualTo(1);
    assertThat(first.getSpec().getWidth()).isEqualTo(64);
    assertThat(first.getSpec().getFrames()).isEqualTo(5);
    assertThat(first.getSpec().getPack()).isEqualTo("tiny");
    assertThat(first.getAttempt()).isEqualTo(1);
    assertThat(first.getRoutingSlip()).containsExactly(Stage.REWRITE, Stage.ENCODE, Stage.DENOISE, Stage.DECODE,
        Stage.UPSAMPLE, Stage.PUBLISH);
    RenderTask second = single(waitingFor("encode", batchId));
    assertThat(second.getSpec().getJobId()).isEqualTo(batchId + "-000001");
    assertThat(second.getRoutingSlip()).first().isEqualTo(Stage.ENCODE);

    List<StageEvent> queued = readCommitted(EVENTS, batchId).stream()
        .map(r -> MessageSerdes.stageEvent().deserialize(r.topic(), r.value())).toList();
    assertThat(queued).extracting(StageEvent::getJobId).containsExactlyInAnyOrder(batchId + "-000000",
        batchId + "-000001");
    assertThat(queued).allSatisfy(e -> {
      assertThat(e.getType()).isEqualTo(StageEventType.QUEUED);
      assertThat(e.getAttempt()).isEqualTo(1);
      assertThat(e.getTenant()).isEqualTo("studio-q");
      assertThat(e.getSpec().getJobId()).isEqualTo(e.getJobId());
    });
    assertThat(queued).extracting(StageEvent::getStage).containsExactlyInAnyOrder(Stage.REWRITE, Stage.ENCODE);

    // The answer came once the tracker showed the batch: a GET right after it finds it.
    assertThat(tracker.requests()).contains("/tracker/batches/" + batchId);
  }

  @Test
  void aCommittedBatchIsAnswered202WhenTheTrackerIsDownNeverAsFailed() {
    tracker.answerUnder("/tracker/batches/", id -> new Reply(503, "tracker stores are not ready; retry shortly"));

    JsonPath answer = as(STUDIO).contentType(ContentType.JSON)
        .body("{\"jobs\": [{\"prompt\": \"a red ball\", \"width\": 64, \"height\": 64, \"frames\": 5}]}")
        .post("/v1/batches").then()
        .statusCode(202)
        .header("Location", matchesPattern(".*/v1/batches/b-[0-9a-f]{24}"))
        .body("batch.total", equalTo(1))
        .extract().jsonPath();
    String batchId = answer.getString("batch.id");
    assertThat(answer.getList("jobIds", String.class)).containsExactly(batchId + "-000000");
    assertThat(readCommitted(BATCHES, batchId)).hasSize(1);
  }

  @Test
  void retryingABatchRerunsEachFailedJobFromItsFailedStageInOneTransaction() {
    String batch = "b-" + "7".repeat(24);
    String failed = batch + "-000000";
    String succeeded = batch + "-000001";
    tracker.answer("/tracker/batches/" + batch, Reply.json(batchView(batch, "ab".repeat(32), null)
        .replace("\"total\": 3", "\"total\": 2")));
    tracker.answerUnder("/tracker/batches/" + batch + "/jobs", query -> Reply.json(
        "[" + FAILED_AT_REWRITE.formatted(failed, batch) + ", " + SUCCEEDED_JOB.replace(JOB_ID, succeeded)
            .replace(BATCH_ID, batch) + "]"));

    as(STUDIO).post("/v1/batches/{id}/retry", batch).then()
        .statusCode(202)
        .body("batch.id", equalTo(batch))
        .body("jobIds", contains(failed));

    RenderTask retry = single(waitingFor("rewrite", failed));
    assertThat(retry.getAttempt()).isEqualTo(2);
    assertThat(retry.getRoutingSlip()).first().isEqualTo(Stage.REWRITE);
    ControlCommand resume = single(readCommitted("flowreel.control", failed),
        MessageSerdes.controlCommand()::deserialize);
    assertThat(resume.getAction()).isEqualTo(ControlAction.RESUME);
    assertThat(resume.getAttempt()).isEqualTo(2);
    assertThat(readCommitted("flowreel.control", succeeded)).isEmpty();

    // Nothing failed any more (as the tracker would say once the retries run): nothing to retry.
    tracker.answerUnder("/tracker/batches/" + batch + "/jobs", query -> Reply.json("[]"));
    as(STUDIO).post("/v1/batches/{id}/retry", batch).then().statusCode(409)
        .body("reason", containsString("no failed job"));
  }

  @Test
  void cancellingABatchCancelsItsQueuedJobsAtOnceWithTheCommandInOneTransaction() {
    String batch = "b-" + "6".repeat(24);
    String queued = batch + "-000000";
    String retriedQueued = batch + "-000001";
    String running = batch + "-000002";
    tracker.answer("/tracker/batches/" + batch, Reply.json(batchView(batch, "ab".repeat(32), null)));
    String rewriteAndEncodeDone = "\"REWRITE\": " + DONE_STAGE + ", \"ENCODE\": " + DONE_STAGE;
    tracker.answerUnder("/tracker/batches/" + batch + "/jobs", query -> Reply.json("["
        + JOB_AT.formatted(queued, batch, 1, "", "QUEUED") + ", "
        // Retried from DENOISE: the stages before it are done, so it waits at DENOISE.
        + JOB_AT.formatted(retriedQueued, batch, 2, rewriteAndEncodeDone, "QUEUED") + ", "
        + JOB_AT.formatted(running, batch, 1, "\"REWRITE\": " + DONE_STAGE, "RUNNING") + "]"));

    as(STUDIO).post("/v1/batches/{id}/cancel", batch).then().statusCode(202).body("id", equalTo(batch));

    ControlCommand cancel = single(readCommitted("flowreel.control", batch), MessageSerdes.controlCommand()::deserialize);
    assertThat(cancel.getAction()).isEqualTo(ControlAction.CANCEL);
    List<StageEvent> events = readCommitted(EVENTS, batch).stream()
        .map(r -> MessageSerdes.stageEvent().deserialize(r.topic(), r.value()))
        .filter(e -> e.getType() == StageEventType.CANCELLED).toList();
    // The running job is left to its stage, which reads the command.
    assertThat(events).extracting(StageEvent::getJobId).containsExactlyInAnyOrder(queued, retriedQueued);
    assertThat(events).allSatisfy(e -> {
      assertThat(e.getWorker()).isEqualTo(Stages.GATEWAY_WORKER);
      assertThat(e.getError()).isEqualTo("batch cancelled through the API");
    });
    assertThat(events).filteredOn(e -> e.getJobId().equals(queued)).singleElement()
        .satisfies(e -> assertThat(e.getStage()).isEqualTo(Stage.REWRITE))
        .satisfies(e -> assertThat(e.getAttempt()).isEqualTo(1));
    assertThat(events).filteredOn(e -> e.getJobId().equals(retriedQueued)).singleElement()
        .satisfies(e -> assertThat(e.getStage()).isEqualTo(Stage.DENOISE))
        .satisfies(e -> assertThat(e.getAttempt()).isEqualTo(2));
  }

  @Test
  void pausePriorityAndResumeGoToTheSchedulerAtEveryStageAndNeverToTheControlTopic() {
    String batch = "b-" + "8".repeat(24);
    tracker.answer("/tracker/batches/" + batch, Reply.json(batchView(batch, "ab".repeat(32), null)));

    as(STUDIO).post("/v1/batches/{id}/pause", batch).then().statusCode(202).body("id", equalTo(batch));
    as(STUDIO).contentType(ContentType.JSON).body("{\"priority\": 8}").post("/v1/batches/{id}/priority", batch)
        .then().statusCode(202);
    as(STUDIO).contentType(ContentType.JSON).body("{\"priority\": 10}").post("/v1/batches/{id}/priority", batch)
        .then().statusCode(400).body("reason", containsString("from 0 (lowest) to 9 (highest), not 10"));
    as(STUDIO).post("/v1/batches/{id}/resume", batch).then().statusCode(202);

    for (Stage stage : Stages.PIPELINE) {
      List<ControlCommand> commands = readCommitted("flowreel.schedule", Stages.id(stage)).stream()
          .map(r -> MessageSerdes.schedulerInput().deserialize(r.topic(), r.value()))
          .filter(input -> input.getKind() == SchedulerInputKind.CONTROL)
          .map(SchedulerInput::getCommand).filter(c -> c.getTargetId().equals(batch)).toList();
      assertThat(commands).as("at " + Stages.id(stage)).extracting(ControlCommand::getAction)
          .containsExactly(ControlAction.PAUSE, ControlAction.PRIORITY, ControlAction.RESUME);
      assertThat(commands.get(1).getPriority()).isEqualTo(8);
      assertThat(commands).allSatisfy(c -> assertThat(c.getTargetKind()).isEqualTo(ControlTargetKind.BATCH));
    }
    // There, a PAUSE would replace the latest CANCEL or a retry's attempt: only the scheduler acts on these.
    assertThat(readCommitted("flowreel.control", batch)).isEmpty();
  }

  @Test
  void listsAskTheTrackerForTheCallersOwnWorkAndCursorsStayInTheirList() {
    String batch = "b-" + "9".repeat(24);
    String job = batch + "-000000";
    String next = "it-studio/0001795977156003/" + job;
    tracker.answerUnder("/tracker/jobs?", query -> Reply.json("{\"jobs\": [" + JOB_AT.formatted(job, batch, 1, "",
        "RUNNING") + "], \"next\": \"" + next + "\"}"));

    JsonPath page = as(STUDIO).get("/v1/jobs?state=running&since=2026-12-01T00:00:00Z&limit=1").then().statusCode(200)
        .extract().jsonPath();
    assertThat(page.getList("jobs.id", String.class)).containsExactly(job);
    String cursor = page.getString("cursor");
    assertThat(page.getString("next")).startsWith("/v1/jobs?").contains("state=running", "limit=1",
        "cursor=" + cursor);
    assertThat(tracker.requests()).last().asString().startsWith("/tracker/jobs?tenant=it-studio&since=1796083200000&")
        .contains("&limit=1", "&state=RUNNING");

    as(STUDIO).get("/v1/jobs?cursor=" + cursor).then().statusCode(200);
    assertThat(tracker.requests()).last().asString().contains("&after=" + next.replace("/", "%2F"));
    as("studio-q").get("/v1/jobs?cursor=" + cursor).then().statusCode(400)
        .body("reason", containsString("belongs to another list"));
    as(STUDIO).get("/v1/jobs?tenant=studio-q").then().statusCode(403)
        .body("reason", containsString("lists its own work only"));
    as(GatewayTestResources.OPERATOR).get("/v1/jobs?tenant=studio-q").then().statusCode(200);
    assertThat(tracker.requests()).last().asString().startsWith("/tracker/jobs?tenant=studio-q&");
    as(STUDIO).get("/v1/jobs?state=stuck").then().statusCode(400).body("reason", containsString("state must be"));
    as(STUDIO).get("/v1/jobs?since=yesterday").then().statusCode(400).body("reason", containsString("ISO-8601"));
    as(STUDIO).get("/v1/batches?state=finished").then().statusCode(400).body("reason", containsString("open or done"));
  }

  @Test
  void aStagesDeadLettersAreListedWithTheirCauseAndHowToRunThemAgainToTheirOwnersOnly() {
    String ours = "b-" + "a".repeat(24) + "-000000";
    String theirs = "b-" + "b".repeat(24) + "-000000";
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      for (String[] letter : List.of(new String[] {ours, STUDIO}, new String[] {theirs, "studio-q"})) {
        JobSpec spec = JobSpec.newBuilder().setJobId(letter[0]).setBatchId(letter[0].substring(0, 26))
            .setTenant(letter[1]).setPrompt("p").setSeed(1).setWidth(64).setHeight(64).setFrames(5).setFps(8)
            .setPack("tiny").build();
        DeadLetter dead = DeadLetter.newBuilder()
            .setTask(RenderTask.newBuilder().setSpec(spec).setAttempt(2).setRoutingSlip(List.of(Stage.DENOISE))
                .setCreatedAtMillis(1).build())
            .setStage(Stage.DENOISE).setError("latent sha256 mismatch").setErrorClass("IntegrityException")
            .setDeliveryAttempts(5).setTimeMillis(1_796_083_200_000L).build();
        producer.send(new ProducerRecord<>("flowreel.dlq.denoise", letter[0],
            Topics.deadLetters(Stage.DENOISE).serializeValue(dead)));
      }
      producer.flush();
    }

    JsonPath own = as(STUDIO).get("/v1/dead-letters?stage=denoise").then().statusCode(200).extract().jsonPath();
    assertThat(own.getList("deadLetters.jobId", String.class)).contains(ours).doesNotContain(theirs);
    Map<String, Object> letter = own.getList("deadLetters", Map.class).stream()
        .filter(l -> ours.equals(l.get("jobId"))).findFirst().orElseThrow();
    assertThat(letter).containsEntry("error", "latent sha256 mismatch").containsEntry("attempt", 2)
        .containsEntry("deliveryAttempts", 5).containsEntry("retry", "/v1/jobs/" + ours + "/retry?from=denoise")
        .containsEntry("deadLetteredAt", "2026-12-01T00:00:00Z");
    assertThat(as(GatewayTestResources.OPERATOR).get("/v1/dead-letters?stage=denoise").then().statusCode(200)
        .extract().jsonPath().getList("deadLetters.jobId", String.class)).contains(ours, theirs);
    as(STUDIO).get("/v1/dead-letters?stage=render").then().statusCode(400)
        .body("reason", containsString("stage must be one of"));
  }

  @Test
  void aSubmissionDuringABrokerOutageIsRefused503FastSubmittingNothingAndTheNextOneGoesThrough()
      throws Exception {
    trackerKnowsEveryBatch();
    String body = "{\"jobs\": [{\"prompt\": \"a red ball\", \"width\": 64, \"height\": 64, \"frames\": 5}]}";
    int committedBefore = readCommitted(BATCHES, "b-").size();
    long broker = GatewayTestResources.brokerPid();
    signal("STOP", broker); // frozen, as behind a network partition: connections stay open and time out
    long start = System.nanoTime();
    try {
      as(STUDIO).contentType(ContentType.JSON).body(body).post("/v1/batches").then()
          .statusCode(503)
          .header("Retry-After", "5")
          .body("reason", containsString("nothing was submitted"));
    } finally {
      signal("CONT", broker);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));

    String batchId = as(STUDIO).contentType(ContentType.JSON).body(body).post("/v1/batches").then()
        .statusCode(201).extract().jsonPath().getString("batch.id");
    // The refused request's open transaction was aborted by the next producer: only the new batch is there.
    List<ConsumerRecord<String, byte[]>> batches = readCommitted(BATCHES, "b-");
    assertThat(batches).hasSize(committedBefore + 1);
    assertThat(batches).extracting(ConsumerRecord::key).contains(batchId);
  }

  private static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -" + signal).isTrue();
  }

  @Test
  void submitsJsonLinesWithSharedDefaults() {
    trackerKnowsEveryBatch();

    // As bytes: REST Assured has no encoder of its own for application/x-ndjson.
    String batchId = as("default").contentType("application/x-ndjson")
        .body("""
            {"defaults": {"width": 64, "height": 64, "frames": 5, "steps": 4}}
            {"prompt": "a green box moving down"}
            {"prompt": "a white circle moving up", "width": 96}
            {"prompt": "a yellow square", "upsample": false}
            """.getBytes(StandardCharsets.UTF_8))
        .post("/v1/batches").then()
        .statusCode(201)
        .body("batch.tenant", equalTo("default"))
        .body("batch.total", equalTo(3))
        .body("jobIds[2]", endsWith("-000002"))
        .extract().path("batch.id");

    List<RenderTask> tasks = waitingFor("rewrite", batchId);
    assertThat(tasks).extracting(t -> t.getSpec().getWidth()).containsExactlyInAnyOrder(64, 96, 64);
    assertThat(tasks).filteredOn(t -> t.getSpec().getJobId().endsWith("-000002")).singleElement()
        .satisfies(t -> assertThat(t.getRoutingSlip()).doesNotContain(Stage.UPSAMPLE));
    assertThat(single(readCommitted(BATCHES, batchId), MessageSerdes.batchSubmission()::deserialize).getTotal())
        .isEqualTo(3);
  }

  static Stream<Arguments> invalidBatches() {
    return Stream.of(
        Arguments.of("[{\"prompt\": \"fine\", \"width\": 64, \"height\": 64, \"frames\": 5},"
                + " {\"prompt\": \"too wide\", \"width\": 300}]",
            "jobs[1]: width 300 is not valid for pack tiny: it must be a multiple of 32 between 32 and 512 "
                + "(nearest valid: 288 or 320)"),
        Arguments.of("{\"jobs\": [{\"prompt\": \"a typo\", \"widht\": 64}]}", "unknown field 'widht'"),
        Arguments.of("[{\"prompt\": \"x\", \"pack\": \"huge\"}]", "jobs[0]: unknown pack 'huge'; known packs: tiny, wan2.1-t2v-reduced"),
        Arguments.of("{\"jobs\": [{\"prompt\": \"x\"", "malformed JSON at line 1, column"),
        Arguments.of("[{\"prompt\": \"a red\\u0000 ball\"}]", "jobs[0]: prompt has U+0000 (a control character) at "
            + "index 5"),
        Arguments.of("[{\"prompt\": \"a red ball\", \"negativePrompt\": \"\\u202eblur\"}]",
            "jobs[0]: negative prompt has U+202E (a bidirectional override) at index 0"),
        Arguments.of("[{\"prompt\": \"a red ball \\ud83c\"}]", "jobs[0]: prompt has U+D83C (a lone surrogate) at "
            + "index 11"));
  }

  @ParameterizedTest
  @MethodSource("invalidBatches")
  void refusesAnInvalidBatchWholeAndWritesNothing(String body, String reason) {
    trackerKnowsEveryBatch();
    Map<TopicPartition, Long> before = endOffsets();

    as(STUDIO).contentType(ContentType.JSON).body(body).post("/v1/batches").then()
        .statusCode(400)
        .body("status", equalTo(400))
        .body("error", equalTo("Bad Request"))
        .body("reason", startsWith("the request was rejected, nothing was submitted: "))
        .body("reason", containsString(reason));

    // The answer comes after any transaction the request made has ended (committed or aborted: both
    // move the end offsets), so unchanged end offsets now mean nothing was written at all.
    assertThat(endOffsets()).isEqualTo(before);
  }

  @Test
  void refusesAnIdempotencyKeyReusedForADifferentRequestAndWritesNothing() {
    // The tracker knows the key's batch, submitted with another request.
    tracker.answerUnder("/tracker/batches/", id -> Reply.json(batchView(id, "0".repeat(64), null)));
    Map<TopicPartition, Long> before = endOffsets();

    as(STUDIO).contentType(ContentType.JSON).header("Idempotency-Key", "batch-six-1")
        .body("[{\"prompt\": \"a red cube\", \"width\": 64, \"height\": 64, \"frames\": 5}]")
        .post("/v1/batches").then()
        .statusCode(422)
        .body("reason", matchesPattern("Idempotency-Key 'batch-six-1' was used for a different request "
            + "\\(batch b-[0-9a-f]{24}\\); use a new key for a new batch"));

    assertThat(endOffsets()).isEqualTo(before);
  }

  @Test
  void refusesAnUnsupportedContentType() {
    as(STUDIO).contentType(ContentType.TEXT).body("a red ball").post("/v1/batches").then()
        .statusCode(415)
        .body("reason", startsWith("unsupported Content-Type"));
  }

  @Test
  void answersAJobAsTheTrackerHasItWithSignedOutputLinks() {
    tracker.answer("/tracker/jobs/" + JOB_ID, Reply.json(SUCCEEDED_JOB));

    JsonPath job = as(STUDIO).get("/v1/jobs/{id}", JOB_ID).then().statusCode(200)
        .body("id", equalTo(JOB_ID))
        .body("batchId", equalTo(BATCH_ID))
        .body("tenant", equalTo("it-studio"))
        .body("state", equalTo("SUCCEEDED"))
        .body("stage", equalTo("PUBLISH"))
        .body("progress", equalTo(1.0f))
        .body("attempt", equalTo(1))
        .body("prompt", equalTo("a blue box drifting left"))
        .body("rewrittenPrompt", equalTo("A blue box drifting left. Steady wide shot."))
        .body("spec.width", equalTo(64))
        .body("spec.steps", equalTo(4))
        .body("spec.upsample", equalTo(true))
        .body("stages.stage", contains("REWRITE", "PUBLISH"))
        .body("stages[0].state", equalTo("SUCCEEDED"))
        .body("stages[0].startedAt", equalTo("2026-11-29T18:32:36.324Z"))
        .body("stages[0].finishedAt", equalTo("2026-11-29T18:32:36.354Z"))
        .body("submittedAt", equalTo("2026-11-29T18:32:36.003Z"))
        .body("updatedAt", equalTo("2026-11-29T18:32:44.407Z"))
        .body("$", not(hasKey("applied")))
        .body("$", not(hasKey("error")))
        .extract().jsonPath();

    assertThat(job.getList("outputs.name", String.class)).containsExactly("video");
    assertThat(job.getLong("outputs[0].size")).isEqualTo(15905);
    assertThat(job.getString("outputs[0].sha256")).isEqualTo("4c".repeat(32));
    assertThat(job.getString("outputs[0].url"))
        .startsWith(GatewayTestResources.PUBLIC_S3 + "/flowreel-output/outputs/" + BATCH_ID + "/" + JOB_ID + ".mp4?")
        .contains("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Credential=test-access-key%2F", "X-Amz-Expires=3600",
            "X-Amz-Signature=");
    assertThat(job.getString("outputs[0].expiresAt")).isNotBlank();

    as(STUDIO).redirects().follow(false).get("/v1/jobs/{id}/outputs/video", JOB_ID).then()
        .statusCode(303)
        .header("Location", startsWith(GatewayTestResources.PUBLIC_S3 + "/flowreel-output/outputs/"));
    as(STUDIO).get("/v1/jobs/{id}/outputs/poster", JOB_ID).then()
        .statusCode(404)
        .body("reason", equalTo("job " + JOB_ID + " has no output 'poster'; it has [video]"));
  }

  @Test
  void anUnknownJobOrBatchIs404() {
    as(STUDIO).get("/v1/jobs/{id}", "b-000000000000000000000000-000000").then()
        .statusCode(404)
        .body("status", equalTo(404))
        .body("error", equalTo("Not Found"))
        .body("reason", equalTo("no job b-000000000000000000000000-000000"));
    as(STUDIO).get("/v1/batches/{id}", "b-000000000000000000000000").then()
        .statusCode(404)
        .body("reason", equalTo("no batch b-000000000000000000000000"));
    assertThat(tracker.requests()).containsExactly("/tracker/jobs/b-000000000000000000000000-000000",
        "/tracker/batches/b-000000000000000000000000");
  }

  /**
   * Ids and names outside their patterns are refused before they reach the tracker's URLs, a topic
   * key or a log line; none is echoed back. (Once, {@code ..%2F..%2Fq%2Fhealth} answered with the
   * tracker's health, and a space, NUL or brace gave 500.)
   */
  @ParameterizedTest
  @ValueSource(strings = {"GET /v1/jobs/..%2F..%2Fq%2Fhealth", "GET /v1/jobs/a%20b", "GET /v1/jobs/a%00b",
      "GET /v1/jobs/%7B", "GET /v1/jobs/a%0D%0AX-Forged:%201", "POST /v1/jobs/a%0D%0Ab/cancel",
      "POST /v1/jobs/-a/retry", "GET /v1/jobs/%E2%80%AE/events", "GET /v1/batches/..%2F..%2Fq%2Fhealth",
      "POST /v1/batches/%7Bid%7D/cancel", "GET /v1/batches/a%2Fb/jobs", "GET /v1/jobs/" + JOB_ID + "/outputs/..%2Fvideo",
      "GET /v1/jobs/" + JOB_ID + "/outputs/%00"})
  void aMalformedIdOrOutputNameIs400AndGoesNowhere(String request) {
    String method = request.substring(0, request.indexOf(' '));
    String path = request.substring(request.indexOf(' ') + 1);
    Map<TopicPartition, Long> before = endOffsets();
    as(STUDIO).urlEncodingEnabled(false).redirects().follow(false).request(method, path).then()
        .statusCode(400)
        .body("reason", startsWith("malformed "))
        .body("reason", not(containsString("health")));
    assertThat(tracker.requests()).as("requests that reached the tracker").isEmpty();
    assertThat(endOffsets()).as("records written").isEqualTo(before);
  }

  @Test
  void countsJobsTheTrackerHasNotSeenYetAsQueued() {
    String counts = """
        {"batchId": "%s", "tenant": "it-studio", "total": 2, "queued": 0, "running": 1, "succeeded": 1,
         "failed": 0, "cancelled": 0, "done": 1}""".formatted(BATCH_ID);
    tracker.answer("/tracker/batches/" + BATCH_ID, Reply.json(batchView(BATCH_ID, "ab".repeat(32), counts)));

    as(STUDIO).get("/v1/batches/{id}", BATCH_ID).then().statusCode(200)
        .body("id", equalTo(BATCH_ID))
        .body("tenant", equalTo("it-studio"))
        .body("idempotencyKey", equalTo("batch-six-1"))
        .body("total", equalTo(3))
        .body("queued", equalTo(1))
        .body("running", equalTo(1))
        .body("succeeded", equalTo(1))
        .body("done", equalTo(1))
        .body("createdAt", equalTo("2026-11-29T18:32:35.974Z"))
        .body("jobs", equalTo("/v1/batches/" + BATCH_ID + "/jobs"));
  }

  @Test
  void anUnavailableTrackerIs503WithRetryAfter() {
    tracker.answer("/tracker/jobs/" + JOB_ID, new Reply(503, "tracker stores are not ready; retry shortly"));

    as(STUDIO).get("/v1/jobs/{id}", JOB_ID).then()
        .statusCode(503)
        .header("Retry-After", "5")
        .body("reason", startsWith("status is unavailable right now: the tracker answered 503"));
  }

  @Test
  void isReadyOnlyWhenTheTrackerIs() {
    given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
        .body("checks[0].name", equalTo("tracker"));
    tracker.answer("/q/health/ready", new Reply(503, "{\"status\": \"DOWN\"}"));
    given().get("/q/health/ready").then().statusCode(503).body("status", equalTo("DOWN"));
  }

  @Test
  void servesItsOpenApiDocument() {
    given().accept(ContentType.JSON).queryParam("format", "json").get("/q/openapi").then().statusCode(200)
        .body("info.title", equalTo("Flowreel API"))
        .body("paths", hasKey("/v1/batches"))
        .body("paths", hasKey("/v1/jobs/{id}"))
        .body("paths", hasKey("/v1/jobs/{id}/retry"))
        .body("paths.'/v1/batches'.post.summary", equalTo("Submit a batch of jobs"))
        .body("components.securitySchemes.apiKey.type", equalTo("http"))
        .body("components.securitySchemes.apiKey.scheme", equalTo("bearer"))
        .body("paths.'/v1/jobs/{id}'.get.security[0]", hasKey("apiKey"));
  }

  /** Every route that names a job or a batch; the fake tracker knows both once {@link #itStudiosFinishedBatch}. */
  static Stream<Arguments> routesOfAJobOrBatch() {
    return Stream.of(
        Arguments.of("GET", "/v1/batches/" + BATCH_ID),
        Arguments.of("GET", "/v1/batches/" + BATCH_ID + "/jobs"),
        Arguments.of("POST", "/v1/batches/" + BATCH_ID + "/cancel"),
        Arguments.of("POST", "/v1/batches/" + BATCH_ID + "/retry"),
        Arguments.of("GET", "/v1/batches/" + BATCH_ID + "/events"),
        Arguments.of("GET", "/v1/jobs/" + JOB_ID),
        Arguments.of("POST", "/v1/jobs/" + JOB_ID + "/cancel"),
        Arguments.of("POST", "/v1/jobs/" + JOB_ID + "/retry"),
        Arguments.of("GET", "/v1/jobs/" + JOB_ID + "/events"),
        Arguments.of("GET", "/v1/jobs/" + JOB_ID + "/outputs/video"));
  }

  static Stream<Arguments> everyRoute() {
    return Stream.concat(Stream.of(Arguments.of("POST", "/v1/batches")), routesOfAJobOrBatch());
  }

  @ParameterizedTest
  @MethodSource("everyRoute")
  void noRequestWithoutAValidKeyReachesAResource(String method, String path) {
    itStudiosFinishedBatch();
    Map<TopicPartition, Long> before = endOffsets();
    List<RequestSpecification> refused = List.of(
        given(),
        given().header("Authorization", "Bearer flr_" + "A".repeat(43)), // well formed, unknown
        given().header("Authorization", "Bearer " + GatewayTestResources.key(STUDIO) + "x"),
        given().header("Authorization", "Basic aXQtc3R1ZGlvOnNlY3JldA=="),
        given().header("X-Flowreel-Tenant", STUDIO)); // the header that named the tenant before keys
    for (RequestSpecification request : refused) {
      request.contentType(ContentType.JSON).body("[{\"prompt\": \"a red ball\"}]").redirects().follow(false)
          .request(method, path).then()
          .statusCode(401)
          .header("WWW-Authenticate", "Bearer realm=\"flowreel\"")
          .body("status", equalTo(401))
          .body("reason", containsString("API key"));
    }
    assertThat(tracker.requests()).as("requests that reached the tracker").isEmpty();
    assertThat(endOffsets()).as("records written").isEqualTo(before);
  }

  @ParameterizedTest
  @MethodSource("routesOfAJobOrBatch")
  void anotherTenantsJobOrBatchIsNotFoundOnEveryRouteButItsOwnerAndAnOperatorReachIt(String method, String path) {
    itStudiosFinishedBatch();
    Map<TopicPartition, Long> before = endOffsets();
    // Exactly as for an id that does not exist: another tenant cannot even learn that it does.
    as("studio-b").redirects().follow(false).request(method, path).then()
        .statusCode(404)
        .body("reason", equalTo(path.startsWith("/v1/jobs/") ? "no job " + JOB_ID : "no batch " + BATCH_ID));
    assertThat(endOffsets()).as("records written for another tenant's request").isEqualTo(before);

    for (String caller : List.of(STUDIO, GatewayTestResources.OPERATOR)) {
      int status = as(caller).redirects().follow(false).request(method, path).then().extract().statusCode();
      // Past the tenant check: answered, or refused for the job's state (409: it has finished).
      assertThat(status).as(caller + ": " + method + " " + path).isIn(200, 202, 303, 409);
    }
  }

  @Test
  void aKeyAddedToTheKeysFileWorksOnItsFirstRequestAndARemovedOneStopsWorking() throws Exception {
    itStudiosFinishedBatch();
    Path file = GatewayTestResources.keysFile();
    String before = Files.readString(file);
    String key = ApiKeys.issue(file, "it-studio", ApiKeys.Role.STUDIO);
    given().header("Authorization", "Bearer " + key).get("/v1/jobs/{id}", JOB_ID).then().statusCode(200);

    Files.writeString(file, before); // revoked
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        given().header("Authorization", "Bearer " + key).get("/v1/jobs/{id}", JOB_ID).then().statusCode(401));
    as(STUDIO).get("/v1/jobs/{id}", JOB_ID).then().statusCode(200);
  }

  @Test
  void aBatchStreamSendsEachEventThenTheCountsOnceAJobEndsAndEndsWhenEveryJobHas() {
    String batch = "b-" + "5".repeat(24);
    String job = batch + "-000002";
    tracker.answer("/tracker/batches/" + batch, Reply.json(tenantsBatch(batch, STUDIO, counts(batch, STUDIO, 2))));

    try (RawHttp stream = RawHttp.events(STUDIO, "/v1/batches/" + batch + "/events")) {
      assertThat(stream.status()).isEqualTo(200);
      assertThat(stream.header("Content-Type")).startsWith("text/event-stream");
      RawHttp.Event first = stream.next();
      assertThat(first.name()).isEqualTo("batch");
      assertThat(JsonPath.from(first.data()).getInt("done")).isEqualTo(2);

      publish(event(job, Stage.PUBLISH, 1, StageEventType.STARTED));
      assertThat(stream.next().name()).isEqualTo("started");

      tracker.answer("/tracker/batches/" + batch, Reply.json(tenantsBatch(batch, STUDIO, counts(batch, STUDIO, 3))));
      publish(event(job, Stage.PUBLISH, 1, StageEventType.SUCCEEDED));
      RawHttp.Event succeeded = stream.next();
      assertThat(succeeded.name()).isEqualTo("succeeded");
      assertThat(JsonPath.from(succeeded.data()).getString("jobId")).isEqualTo(job);
      RawHttp.Event last = stream.next();
      assertThat(last.name()).isEqualTo("batch");
      assertThat(JsonPath.from(last.data()).getInt("done")).isEqualTo(3);
      assertThat(stream.next()).as("the end of the stream").isNull();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> streams.open() == 0);
  }

  @Test
  void aJobStreamSkipsASupersededAttemptsLateEventsAndEndsWithTheFinalStatus() {
    String batch = "b-" + "6".repeat(24);
    String job = batch + "-000000";
    tracker.answer("/tracker/jobs/" + job, Reply.json(job(job, "RUNNING", 2)));

    try (RawHttp stream = RawHttp.events(STUDIO, "/v1/jobs/" + job + "/events")) {
      RawHttp.Event first = stream.next();
      assertThat(first.name()).isEqualTo("status");
      assertThat(JsonPath.from(first.data()).getInt("attempt")).isEqualTo(2);

      publish(event(job, Stage.DENOISE, 1, StageEventType.PROGRESS),
          event(job, Stage.DENOISE, 2, StageEventType.PROGRESS));
      RawHttp.Event progress = stream.next();
      assertThat(progress.name()).isEqualTo("progress");
      assertThat(JsonPath.from(progress.data()).getInt("attempt")).as("attempt 1's event is skipped").isEqualTo(2);

      tracker.answer("/tracker/jobs/" + job, Reply.json(job(job, "SUCCEEDED", 2)));
      publish(event(job, Stage.PUBLISH, 2, StageEventType.SUCCEEDED));
      assertThat(stream.next().name()).isEqualTo("succeeded");
      RawHttp.Event last = stream.next();
      assertThat(last.name()).isEqualTo("status");
      assertThat(JsonPath.from(last.data()).getString("state")).isEqualTo("SUCCEEDED");
      assertThat(stream.next()).as("the end of the stream").isNull();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> streams.open() == 0);
  }

  @Test
  void aClientThatStopsReadingIsCutOffAndItsSlotFreedInsteadOfBufferingForIt() {
    String batch = runningBatch(STUDIO);
    String job = batch + "-000000";
    // 4 KB each: the socket buffers on both sides (a few MB here) fill after about a thousand.
    StageEvent[] events = Collections.nCopies(500, StageEvent.newBuilder(
        event(job, Stage.DENOISE, 1, StageEventType.PROGRESS)).setError("x".repeat(4000)).build())
        .toArray(StageEvent[]::new);
    try (RawHttp stream = RawHttp.events(STUDIO, "/v1/batches/" + batch + "/events", 4096)) {
      assertThat(stream.next().name()).isEqualTo("batch");
      await("the stream cut off").atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(500)).until(() -> {
            if (streams.open() > 0) { // more, until the sockets' buffers and then 256 unsent events are full
              publish(events);
            }
            return streams.open() == 0;
          });

      // What the gateway had sent still arrives, then the stream ends: the client reconnects.
      int read = 0;
      for (RawHttp.Event e = stream.next(); e != null; e = stream.next()) {
        assertThat(e.name()).isEqualTo("progress");
        read++;
      }
      System.out.printf("a client that stopped reading was cut off after %d events%n", read);
      assertThat(read).isPositive();
    }
  }

  @Test
  void aTenantOverItsStreamCapIsRefused429WhileAnotherOpensOneAndAClosedStreamFreesItsSlot() {
    String mine = runningBatch(STUDIO);
    String theirs = runningBatch("studio-q");
    List<RawHttp> open = new ArrayList<>();
    try {
      for (int i = 0; i < GatewayTestResources.MAX_STREAMS_PER_TENANT; i++) {
        open.add(openStream(STUDIO, mine));
      }
      try (RawHttp refused = RawHttp.events(STUDIO, "/v1/batches/" + mine + "/events")) {
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.header("Retry-After")).isEqualTo("10");
        assertThat(JsonPath.from(refused.body()).getString("reason")).isEqualTo("tenant 'it-studio' has 20 event "
            + "streams open, at most 20 (flowreel.gateway.max-event-streams-per-tenant): close one, or poll GET "
            + "/v1/batches/" + mine);
      }
      open.add(openStream("studio-q", theirs));

      open.remove(0).close();
      await("a slot freed by a client that went").atMost(Duration.ofSeconds(10)).until(() -> {
        try (RawHttp again = RawHttp.events(STUDIO, "/v1/batches/" + mine + "/events")) {
          return again.status() == 200;
        }
      });
    } finally {
      closeAll(open);
    }
  }

  @Test
  void openStreamsHoldNoThreadEachAndTheGatewaysTotalCapIsRefused429() {
    List<String> tenants = List.of(STUDIO, "studio-q", "default");
    Map<String, String> batches = new HashMap<>();
    for (String tenant : List.of(STUDIO, "studio-q", "default", "studio-b")) {
      batches.put(tenant, runningBatch(tenant));
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    List<RawHttp> open = new ArrayList<>();
    try {
      // The pools a stream touches (an event loop, a worker, the streams' timers) start their threads here.
      openStream(STUDIO, batches.get(STUDIO)).close();
      await().atMost(Duration.ofSeconds(10)).until(() -> streams.open() == 0);
      int before = threads.getThreadCount();
      for (int i = 0; i < GatewayTestResources.MAX_STREAMS; i++) {
        String tenant = tenants.get(i % tenants.size());
        open.add(openStream(tenant, batches.get(tenant)));
      }
      int with = threads.getThreadCount();
      System.out.printf("gateway threads: %d before, %d with %d event streams open%n", before, with, open.size());
      assertThat(with - before).as("threads started for %d streams", GatewayTestResources.MAX_STREAMS)
          .isLessThanOrEqualTo(8);

      try (RawHttp refused = RawHttp.events("studio-b", "/v1/batches/" + batches.get("studio-b") + "/events")) {
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.header("Retry-After")).isEqualTo("10");
        assertThat(JsonPath.from(refused.body()).getString("reason")).isEqualTo("this gateway has 50 event streams "
            + "open, at most 50 (flowreel.gateway.max-event-streams): retry later, or poll GET /v1/batches/"
            + batches.get("studio-b"));
      }
    } finally {
      closeAll(open);
    }
  }

  @Test
  void aBodyOfExactlyTheLimitIsAcceptedAndOneByteMoreIsRefused413WithAReasonBeforeItIsRead() {
    trackerKnowsEveryBatch();
    int limit = Math.toIntExact(maxBodySize.asLongValue());
    byte[] body = new byte[limit]; // a valid batch, padded with spaces to the limit
    Arrays.fill(body, (byte) ' ');
    byte[] batch = "{\"jobs\": [{\"prompt\": \"a red ball\", \"width\": 64, \"height\": 64, \"frames\": 5}]"
        .getBytes(StandardCharsets.UTF_8);
    System.arraycopy(batch, 0, body, 0, batch.length);
    body[limit - 1] = '}';
    try (RawHttp accepted = RawHttp.send(post(limit), body)) {
      assertThat(accepted.status()).isEqualTo(201);
    }

    Map<TopicPartition, Long> before = endOffsets();
    try (RawHttp refused = RawHttp.send(post(limit + 1), new byte[0])) { // answered on the header alone
      assertThat(refused.status()).isEqualTo(413);
      assertThat(refused.header("Content-Type")).isEqualTo("application/json");
      assertThat(JsonPath.from(refused.body()).getString("reason")).isEqualTo("the request body is larger than "
          + "33554432 bytes (quarkus.http.limits.max-body-size), nothing was submitted: split the batch into "
          + "smaller ones");
    }
    assertThat(endOffsets()).isEqualTo(before);
  }

  @Test
  void headersOfExactlyTheLimitAreAcceptedAndOneByteMoreIsRefused431() {
    itStudiosFinishedBatch();
    // Vert.x counts every header line without its line break, all lines together.
    int limit = Math.toIntExact(maxHeaderSize.asLongValue());
    String host = "Host: localhost";
    String key = "Authorization: Bearer " + GatewayTestResources.key(STUDIO);
    String pad = "X-Pad: ";
    for (int size : List.of(limit, limit + 1)) {
      String head = "GET /v1/jobs/" + JOB_ID + " HTTP/1.1\r\n" + host + "\r\n" + key + "\r\n" + pad
          + "p".repeat(size - host.length() - key.length() - pad.length()) + "\r\n\r\n";
      try (RawHttp answer = RawHttp.send(head, new byte[0])) {
        assertThat(answer.status()).as("headers of %d bytes", size).isEqualTo(size <= limit ? 200 : 431);
      }
    }
  }

  @Test
  void aBatchAtEveryCapIsAccepted() {
    // The tracker knows no batch for the key until it was submitted.
    AtomicInteger asked = new AtomicInteger();
    tracker.answerUnder("/tracker/batches/", id -> asked.getAndIncrement() == 0 ? new Reply(404, "no batch " + id)
        : Reply.json(batchView(id, "ab".repeat(32), null)));

    as(STUDIO).contentType(ContentType.JSON).header("Idempotency-Key", "k".repeat(BatchIds.MAX_KEY_LENGTH))
        .body(batchOf(GatewayTestResources.MAX_JOBS_PER_BATCH, "p".repeat(RenderPlan.MAX_PROMPT_CHARS),
            "n".repeat(RenderPlan.MAX_PROMPT_CHARS)))
        .post("/v1/batches").then()
        .statusCode(201)
        .body("batch.total", equalTo(GatewayTestResources.MAX_JOBS_PER_BATCH));
  }

  static Stream<Arguments> oneOverACap() {
    String prompt = "a red ball";
    return Stream.of(
        Arguments.of(batchOf(GatewayTestResources.MAX_JOBS_PER_BATCH + 1, prompt, null), null,
            "the batch has 51 jobs, at most 50 are allowed"),
        Arguments.of(batchOf(1, "p".repeat(RenderPlan.MAX_PROMPT_CHARS + 1), null), null,
            "jobs[0]: prompt has 2001 characters, at most 2000 are allowed"),
        Arguments.of(batchOf(1, prompt, "n".repeat(RenderPlan.MAX_PROMPT_CHARS + 1)), null,
            "jobs[0]: negative prompt has 2001 characters, at most 2000"),
        Arguments.of(batchOf(1, prompt, null), "k".repeat(BatchIds.MAX_KEY_LENGTH + 1),
            "Idempotency-Key must be 1-255 printable ASCII characters"));
  }

  @ParameterizedTest
  @MethodSource("oneOverACap")
  void oneOverACapIsRefused400NamingItAndNothingIsWritten(String body, String idempotencyKey, String reason) {
    trackerKnowsEveryBatch();
    Map<TopicPartition, Long> before = endOffsets();
    RequestSpecification request = as(STUDIO).contentType(ContentType.JSON).body(body);
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    request.post("/v1/batches").then()
        .statusCode(400)
        .body("reason", equalTo("the request was rejected, nothing was submitted: " + reason));
    assertThat(endOffsets()).isEqualTo(before);
  }

  private static String batchOf(int jobs, String prompt, String negativePrompt) {
    String job = "{\"prompt\": \"" + prompt + "\""
        + (negativePrompt == null ? "" : ", \"negativePrompt\": \"" + negativePrompt + "\"") + "}";
    return "{\"defaults\": {\"width\": 64, \"height\": 64, \"frames\": 5}, \"jobs\": ["
        + String.join(", ", Collections.nCopies(jobs, job)) + "]}";
  }

  private static String post(long contentLength) {
    return "POST /v1/batches HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: Bearer "
        + GatewayTestResources.key(STUDIO) + "\r\nContent-Length: " + contentLength + "\r\n\r\n";
  }

  /** The events of a running batch of {@code tenant}, checked up to the first message. */
  private static RawHttp openStream(String tenant, String batchId) {
    RawHttp stream = RawHttp.events(tenant, "/v1/batches/" + batchId + "/events");
    assertThat(stream.status()).as("a stream of %s", tenant).isEqualTo(200);
    assertThat(stream.next().name()).isEqualTo("batch");
    return stream;
  }

  /** Closes the streams a test opened and waits until the gateway has given their slots back. */
  private void closeAll(List<RawHttp> open) {
    open.forEach(RawHttp::close);
    await("every stream's slot given back").atMost(Duration.ofSeconds(10)).until(() -> streams.open() == 0);
  }

  /** A batch of {@code tenant} with none of its 3 jobs finished, as the tracker answers it; its id. */
  private String runningBatch(String tenant) {
    String batchId = "b-" + "%024d".formatted(Math.abs(tenant.hashCode()));
    tracker.answer("/tracker/batches/" + batchId,
        Reply.json(tenantsBatch(batchId, tenant, counts(batchId, tenant, 0))));
    return batchId;
  }

  /** The tracker's counts of a batch of 3 jobs of which {@code done} have succeeded and the next one runs. */
  private static String counts(String batchId, String tenant, int done) {
    return """
        {"batchId": "%s", "tenant": "%s", "total": 3, "queued": %d, "running": %d, "succeeded": %d,
         "failed": 0, "cancelled": 0, "done": %d}""".formatted(batchId, tenant, Math.max(0, 2 - done),
        done < 3 ? 1 : 0, done, done);
  }

  /** {@code /tracker/jobs/{id}} of a job of it-studio in {@code state} at {@code attempt}. */
  private static String job(String jobId, String state, int attempt) {
    return SUCCEEDED_JOB.replace(JOB_ID, jobId).replace(BATCH_ID, jobId.substring(0, BATCH_ID.length()))
        .replace("\"state\": \"SUCCEEDED\", \"currentStage\": \"PUBLISH\", \"attempt\": 1",
            "\"state\": \"" + state + "\", \"currentStage\": \"PUBLISH\", \"attempt\": " + attempt);
  }

  private static StageEvent event(String jobId, Stage stage, int attempt, StageEventType type) {
    return StageEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setJobId(jobId)
        .setBatchId(jobId.substring(0, BATCH_ID.length())).setTenant(STUDIO).setStage(stage).setAttempt(attempt)
        .setType(type).setTimeMillis(System.currentTimeMillis()).build();
  }

  /** Puts {@code events} on the events topic, as the stages do (keyed by job id). */
  private void publish(StageEvent... events) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      for (StageEvent event : events) {
        producer.send(new ProducerRecord<>(EVENTS, event.getJobId(), Topics.EVENTS.serializeValue(event)));
      }
      producer.flush();
    }
  }

  /** A request with the API key of {@code tenant} (see {@link GatewayTestResources#TENANTS}). */
  private static RequestSpecification as(String tenant) {
    return given().header("Authorization", "Bearer " + GatewayTestResources.key(tenant));
  }

  /** The tracker knows a published job of it-studio and its batch, in which every job has finished. */
  private void itStudiosFinishedBatch() {
    tracker.answer("/tracker/jobs/" + JOB_ID, Reply.json(SUCCEEDED_JOB));
    String counts = """
        {"batchId": "%s", "tenant": "it-studio", "total": 3, "queued": 0, "running": 0, "succeeded": 3,
         "failed": 0, "cancelled": 0, "done": 3}""".formatted(BATCH_ID);
    tracker.answer("/tracker/batches/" + BATCH_ID, Reply.json(batchView(BATCH_ID, "ab".repeat(32), counts)));
    tracker.answerUnder("/tracker/batches/" + BATCH_ID + "/jobs", query -> Reply.json("[" + SUCCEEDED_JOB + "]"));
  }

  /** The tracker answers every batch as submitted, so a submission's answer does not wait for it. */
  private void trackerKnowsEveryBatch() {
    tracker.answerUnder("/tracker/batches/", id -> Reply.json(batchView(id, "ab".repeat(32), null)));
  }

  /** {@code /tracker/batches/{id}} as the tracker answers it: the submission and the job counts. */
  private static String batchView(String batchId, String requestSha256, String status) {
    return """
        {"submission": {"batchId": "%s", "tenant": "it-studio", "idempotencyKey": "batch-six-1",
                        "requestSha256": "%s", "total": 3, "createdAtMillis": 1795977155974},
         "status": %s}""".formatted(batchId, requestSha256, status);
  }

  /** A batch of {@code tenant} (keyless) with the job counts {@code status}. */
  private static String tenantsBatch(String batchId, String tenant, String status) {
    return """
        {"submission": {"batchId": "%s", "tenant": "%s", "requestSha256": "%s", "total": 3,
                        "createdAtMillis": 1795977155974},
         "status": %s}""".formatted(batchId, tenant, "ab".repeat(32), status);
  }

  /** {@code /tracker/jobs/{id}} as the tracker answers it for a published job. */
  private static final String SUCCEEDED_JOB = """
      {"jobId": "%1$s", "batchId": "%2$s", "tenant": "it-studio",
       "spec": {"prompt": "a blue box drifting left", "negativePrompt": null, "seed": 1, "width": 64, "height": 64,
                "frames": 5, "fps": 8, "steps": 4, "guidance": null, "shift": null, "pack": "tiny", "priority": 0,
                "rewrite": true, "upsample": true},
       "rewrittenPrompt": "A blue box drifting left. Steady wide shot.",
       "state": "SUCCEEDED", "currentStage": "PUBLISH", "attempt": 1,
       "stages": {
         "REWRITE": {"attempt": 1, "state": "SUCCEEDED", "startedMillis": 1795977156324,
                     "finishedMillis": 1795977156354, "durationMillis": 0, "step": null, "totalSteps": null,
                     "progress": 1.0, "retries": 0, "error": null, "artifacts": []},
         "PUBLISH": {"attempt": 1, "state": "SUCCEEDED", "startedMillis": 1795977164200,
                     "finishedMillis": 1795977164407, "durationMillis": 202, "step": null, "totalSteps": null,
                     "progress": 1.0, "retries": 0, "error": null, "artifacts": []}},
       "progress": 1.0, "error": null,
       "outputs": [{"stage": "PUBLISH", "name": "video", "bucket": "flowreel-output",
                    "key": "outputs/%2$s/%1$s.mp4", "sha256": "%3$s", "size": 15905, "format": "MP4",
                    "tensors": []}],
       "submittedMillis": 1795977156003, "lastEventMillis": 1795977164407,
       "applied": ["PUBLISH/1/STARTED", "PUBLISH/1/SUCCEEDED", "REWRITE/1/STARTED", "REWRITE/1/SUCCEEDED"]}
      """.formatted(JOB_ID, BATCH_ID, "4c".repeat(32));

  /** A job of attempt %3$d in state %5$s whose stages %4$s are done (entries of {@link #DONE_STAGE}). */
  private static final String JOB_AT = """
      {"jobId": "%1$s", "batchId": "%2$s", "tenant": "it-studio",
       "spec": {"prompt": "a red ball", "negativePrompt": null, "seed": 1, "width": 64, "height": 64,
                "frames": 5, "fps": 8, "steps": 4, "guidance": null, "shift": null, "pack": "tiny", "priority": 0,
                "rewrite": true, "upsample": true},
       "state": "%5$s", "currentStage": null, "attempt": %3$d, "stages": {%4$s},
       "progress": 0.0, "error": null, "outputs": [],
       "submittedMillis": 1795977156003, "lastEventMillis": 1795977156354, "applied": []}
      """;
  private static final String DONE_STAGE = """
      {"attempt": 1, "state": "SUCCEEDED", "startedMillis": 1, "finishedMillis": 2, "durationMillis": 1, "step": null,
       "totalSteps": null, "progress": 1.0, "retries": 0, "error": null, "artifacts": []}""";

  /** {@code /tracker/jobs/{id}} of a job that failed at its first stage. */
  private static final String FAILED_AT_REWRITE = """
      {"jobId": "%1$s", "batchId": "%2$s", "tenant": "it-studio",
       "spec": {"prompt": "a red ball", "negativePrompt": null, "seed": 1, "width": 64, "height": 64,
                "frames": 5, "fps": 8, "steps": 4, "guidance": null, "shift": null, "pack": "tiny", "priority": 0,
                "rewrite": true, "upsample": true},
       "state": "FAILED", "currentStage": "REWRITE", "attempt": 1,
       "stages": {
         "REWRITE": {"attempt": 1, "state": "FAILED", "startedMillis": 1795977156324,
                     "finishedMillis": 1795977156354, "durationMillis": null, "step": null, "totalSteps": null,
                     "progress": 0.0, "retries": 0, "error": "boom", "artifacts": []}},
       "progress": 0.0, "error": "boom", "outputs": [],
       "submittedMillis": 1795977156003, "lastEventMillis": 1795977156354,
       "applied": ["REWRITE/1/STARTED", "REWRITE/1/FAILED"]}
      """;

  private static <T> T single(List<T> items) {
    assertThat(items).hasSize(1);
    return items.get(0);
  }

  private static <T> T single(List<ConsumerRecord<String, byte[]>> records,
      BiFunction<String, byte[], T> decode) {
    assertThat(records).hasSize(1);
    return decode.apply(records.get(0).topic(), records.get(0).value());
  }

  /** The committed tasks waiting for {@code stage} on the scheduler's topic whose job id starts with {@code jobIdPrefix}. */
  private List<RenderTask> waitingFor(String stage, String jobIdPrefix) {
    return readCommitted("flowreel.schedule", stage).stream()
        .map(r -> MessageSerdes.schedulerInput().deserialize(r.topic(), r.value()))
        .filter(input -> input.getKind() == SchedulerInputKind.WAITING)
        .map(SchedulerInput::getTask)
        .filter(task -> task.getSpec().getJobId().startsWith(jobIdPrefix)).toList();
  }

  /**
   * The committed records of {@code topic} whose key starts with {@code keyPrefix} (a batch id: job
   * ids start with it; a stage id on the scheduler's topic), read from the beginning up to the committed end as it is now, as the stages
   * and the tracker read them (read_committed). Bounded: the end is fixed before reading.
   */
  private List<ConsumerRecord<String, byte[]>> readCommitted(String topic, String keyPrefix) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions); // read_committed: the last stable offset
      await("read " + topic + " to its committed end").atMost(READ).pollInSameThread().until(() -> {
        consumer.poll(Duration.ofMillis(100)).forEach(found::add);
        return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
      });
    }
    return found.stream().filter(r -> r.key() != null && r.key().startsWith(keyPrefix)).toList();
  }

  /** The end offset of every partition of every Flowreel topic (read_uncommitted: open transactions too). */
  private Map<TopicPartition, Long> endOffsets() {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = ALL_TOPICS.stream().flatMap(t -> consumer.partitionsFor(t).stream())
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      return consumer.endOffsets(partitions);
    }
  }
}
