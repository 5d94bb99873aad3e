package io.flowreel.tracker;

import static io.flowreel.messages.Stage.DECODE;
import static io.flowreel.messages.Stage.DENOISE;
import static io.flowreel.messages.Stage.ENCODE;
import static io.flowreel.messages.Stage.PUBLISH;
import static io.flowreel.messages.Stage.REWRITE;
import static io.flowreel.messages.Stage.UPSAMPLE;
import static io.flowreel.messages.StageEventType.STARTED;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.contract.Topics;
import io.flowreel.messages.BatchFinished;
import io.flowreel.messages.BatchSubmission;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.codec.MessageSerdes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The topology on Kafka Streams' test driver: no broker, stores read directly. */
class TrackerTopologyTest {

  @TempDir
  Path stateDir;

  private TopologyTestDriver driver;
  private TestInputTopic<String, StageEvent> events;
  private KeyValueStore<String, JobStatus> jobs;
  private KeyValueStore<String, BatchStatus> batches;

  @BeforeEach
  void start() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "flowreel-tracker-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.putAll(TrackerTopology.errorHandling());
    driver = new TopologyTestDriver(TrackerTopology.build(), props);
    events = driver.createInputTopic(Topics.EVENTS.name(), new StringSerializer(),
        MessageSerdes.stageEvent().serializer());
    jobs = driver.getKeyValueStore(TrackerTopology.JOBS_STORE);
    batches = driver.getKeyValueStore(TrackerTopology.BATCHES_STORE);
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private void send(List<StageEvent> list) {
    list.forEach(e -> events.pipeInput(e.getJobId(), e));
  }

  private void send(StageEvent... list) {
    send(List.of(list));
  }

  private void runAll(Events job, int attempt, Stage... stages) {
    for (Stage stage : stages) {
      send(job.runStage(stage, attempt));
    }
  }

  @Test
  void acceptedBatchesAreKeptBySubmission() {
    TestInputTopic<String, BatchSubmission> submissions = driver.createInputTopic(Topics.BATCHES.name(),
        new StringSerializer(), MessageSerdes.batchSubmission().serializer());
    BatchSubmission batch = BatchSubmission.newBuilder().setBatchId("b-1").setTenant("studio-a")
        .setIdempotencyKey("key-1").setRequestSha256("ef".repeat(32)).setTotal(3).setCreatedAtMillis(1234).build();

    submissions.pipeInput("b-1", batch);

    KeyValueStore<String, Submission> store = driver.getKeyValueStore(TrackerTopology.SUBMISSIONS_STORE);
    assertThat(store.get("b-1")).isEqualTo(new Submission("b-1", "studio-a", "key-1", "ef".repeat(32), 3, 1234, null, Map.of()));
  }

  @Test
  void unreadableRecordsAreDeadLetteredAndSkippedAndStatusGoesOn() {
    TestInputTopic<String, byte[]> rawEvents = driver.createInputTopic(Topics.EVENTS.name(), new StringSerializer(),
        new ByteArraySerializer());
    TestInputTopic<String, byte[]> rawBatches = driver.createInputTopic(Topics.BATCHES.name(),
        new StringSerializer(), new ByteArraySerializer());
    TestOutputTopic<byte[], byte[]> unreadable = driver.createOutputTopic(Topics.UNREADABLE.name(),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    Events job = new Events("job-1", "batch-1");
    byte[] newer = Topics.EVENTS.serializeValue(job.queued(REWRITE, 1));
    for (int i = 2; i < 10; i++) {
      newer[i] = (byte) ~newer[i]; // a fingerprint no schema here has: a newer writer's
    }

    rawEvents.pipeInput("job-1", new byte[18]);
    rawEvents.pipeInput("job-1", newer);
    rawBatches.pipeInput("b-1", new byte[] {1, 2, 3});
    runAll(job, 1, REWRITE, ENCODE, DENOISE, DECODE, UPSAMPLE, PUBLISH);

    assertThat(jobs.get("job-1").state()).isEqualTo(JobState.SUCCEEDED);
    List<TestRecord<byte[], byte[]>> letters = unreadable.readRecordsToList();
    assertThat(letters).extracting(r -> r.value().length).containsExactly(18, newer.length, 3);
    assertThat(letters).extracting(r -> new String(r.headers().lastHeader("__streams.errors.topic").value(),
        StandardCharsets.UTF_8)).containsExactly(Topics.EVENTS.name(), Topics.EVENTS.name(), Topics.BATCHES.name());
  }

  @Test
  void aJobThroughAllSixStagesEndsSucceededWithOutputs() {
    Events job = new Events("job-1", "batch-1");
    runAll(job, 1, REWRITE, ENCODE, DENOISE, DECODE, UPSAMPLE, PUBLISH);

    JobStatus status = jobs.get("job-1");
    assertThat(status.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(status.progress()).isEqualTo(1.0);
    assertThat(status.outputs()).extracting(StoredArtifact::name).containsExactly("video");
    assertThat(status.stages()).hasSize(6);
    assertThat(batches.get("batch-1")).isEqualTo(new BatchStatus("batch-1", "studio-a", 1, 0, 0, 1, 0, 0));
  }

  @Test
  void duplicatesAndRedeliveriesDoNotDoubleCount() {
    Events job = new Events("job-1", "batch-1");
    StageEvent started = job.event(ENCODE, 1, STARTED);
    StageEvent succeeded = job.succeeded(ENCODE, 1);
    send(started, started, succeeded, job.event(ENCODE, 1, STARTED), succeeded, job.succeeded(ENCODE, 1));

    assertThat(jobs.get("job-1").stages().get("ENCODE").state()).isEqualTo(StageState.SUCCEEDED);
    assertThat(batches.get("batch-1")).isEqualTo(new BatchStatus("batch-1", "studio-a", 1, 0, 1, 0, 0, 0));

    runAll(job, 1, DENOISE, DECODE, PUBLISH);
    send(job.published(1)); // the publisher's redelivery
    assertThat(batches.get("batch-1")).isEqualTo(new BatchStatus("batch-1", "studio-a", 1, 0, 0, 1, 0, 0));
  }

  @Test
  void aSupersededAttemptsLateSuccessDoesNotCompleteTheJob() {
    Events job = new Events("job-1", "batch-1");
    runAll(job, 1, REWRITE, ENCODE);
    send(job.event(DENOISE, 1, STARTED));
    // The operator retries from DENOISE while attempt 1 is still running somewhere.
    send(job.event(DENOISE, 2, STARTED));
    runAll(job, 1, DENOISE, DECODE, UPSAMPLE, PUBLISH);

    JobStatus status = jobs.get("job-1");
    assertThat(status.state()).isEqualTo(JobState.RUNNING);
    assertThat(status.attempt()).isEqualTo(2);
    assertThat(status.currentStage()).isEqualTo("DENOISE");
    assertThat(status.outputs()).isEmpty();
    assertThat(batches.get("batch-1").running()).isEqualTo(1);
    assertThat(batches.get("batch-1").succeeded()).isZero();
  }

  @Test
  void aFailedJobRetriedFromAStageRunsAgainAndSucceeds() {
    Events job = new Events("job-1", "batch-1");
    runAll(job, 1, REWRITE, ENCODE, DENOISE);
    send(job.event(DECODE, 1, STARTED), job.failed(DECODE, 1, "CUDA out of memory"));
    assertThat(jobs.get("job-1").state()).isEqualTo(JobState.FAILED);
    assertThat(jobs.get("job-1").error()).isEqualTo("DECODE: CUDA out of memory");
    assertThat(batches.get("batch-1")).isEqualTo(new BatchStatus("batch-1", "studio-a", 1, 0, 0, 0, 1, 0));

    send(job.event(DECODE, 2, STARTED));
    assertThat(jobs.get("job-1").state()).isEqualTo(JobState.RUNNING);
    assertThat(batches.get("batch-1")).isEqualTo(new BatchStatus("batch-1", "studio-a", 1, 0, 1, 0, 0, 0));

    send(job.succeeded(DECODE, 2));
    runAll(job, 2, UPSAMPLE, PUBLISH);
    assertThat(jobs.get("job-1").state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(batches.get("batch-1")).isEqualTo(new BatchStatus("batch-1", "studio-a", 1, 0, 0, 1, 0, 0));
  }

  @Test
  void aBatchWhoseLastJobFinishesIsToldOnceAndAgainAfterARetryFinishes() {
    TestOutputTopic<String, BatchFinished> finished = driver.createOutputTopic(Topics.BATCHES_FINISHED.name(),
        new StringDeserializer(), Topics.BATCHES_FINISHED.valueSerde().deserializer());
    Events done = new Events("job-a", "batch-1");
    Events failing = new Events("job-b", "batch-1");
    send(done.queued(REWRITE, 1), failing.queued(REWRITE, 1));
    runAll(done, 1, REWRITE, ENCODE, DENOISE, DECODE, UPSAMPLE, PUBLISH);
    assertThat(finished.readValuesToList()).as("one of two jobs done").isEmpty();

    send(failing.event(ENCODE, 1, STARTED), failing.failed(ENCODE, 1, "tokenizer missing"));
    assertThat(finished.readValuesToList()).singleElement().satisfies(batch -> {
      assertThat(batch.getBatchId()).isEqualTo("batch-1");
      assertThat(batch.getTenant()).isEqualTo("studio-a");
      assertThat(List.of(batch.getTotal(), batch.getSucceeded(), batch.getFailed(), batch.getCancelled()))
          .containsExactly(2L, 1L, 1L, 0L);
    });

    send(failing.queued(ENCODE, 2));
    runAll(failing, 2, ENCODE, DENOISE, DECODE, UPSAMPLE, PUBLISH);
    assertThat(finished.readValuesToList()).singleElement().returns(2L, BatchFinished::getSucceeded);
  }

  @Test
  void aBatchOfThreeJobsIsCountedPerState() {
    Events done = new Events("job-a", "batch-1");
    Events failing = new Events("job-b", "batch-1");
    Events running = new Events("job-c", "batch-1");
    Events elsewhere = new Events("job-x", "batch-2");

    // Interleaved, as the jobs' partitions would deliver them.
    send(done.event(REWRITE, 1, STARTED), failing.event(ENCODE, 1, STARTED), running.event(REWRITE, 1, STARTED),
        elsewhere.event(REWRITE, 1, STARTED));
    assertThat(batches.get("batch-1")).isEqualTo(new BatchStatus("batch-1", "studio-a", 3, 0, 3, 0, 0, 0));

    send(done.succeeded(REWRITE, 1));
    runAll(done, 1, ENCODE, DENOISE, DECODE, UPSAMPLE, PUBLISH);
    send(failing.failed(ENCODE, 1, "tokenizer missing"));
    send(running.succeeded(REWRITE, 1), running.event(ENCODE, 1, STARTED));

    assertThat(batches.get("batch-1")).isEqualTo(new BatchStatus("batch-1", "studio-a", 3, 0, 1, 1, 1, 0));
    assertThat(batches.get("batch-1").done()).isEqualTo(2);
    assertThat(batches.get("batch-2")).isEqualTo(new BatchStatus("batch-2", "studio-a", 1, 0, 1, 0, 0, 0));
    KeyValueStore<String, TenantStatus> tenants = driver.getKeyValueStore(TrackerTopology.TENANTS_STORE);
    assertThat(tenants.get("studio-a")).as("both batches' unfinished jobs")
        .isEqualTo(new TenantStatus("studio-a", 0, 2));

    send(elsewhere.queued(ENCODE, 2)); // retried, waiting again
    assertThat(tenants.get("studio-a")).isEqualTo(new TenantStatus("studio-a", 1, 1));
  }
}
