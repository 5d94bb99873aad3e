package io.flowreel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowreel.contract.ApiKeys;
import io.flowreel.contract.Stages;
import io.flowreel.contract.Topics;
import io.flowreel.infra.DataDirs;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scheduler on the real farm (issue 21, items 1 to 3): simulated-compute workers, one per stage but two for
 * REWRITE, jobs submitted through the gateway by three tenants, the third with quotas. What each stage started, and
 * when, is read from the stage events.
 */
class SchedulingIT {

  private static final String SMALL = "\"width\": 64, \"height\": 64, \"frames\": 5, \"steps\": 2";

  private static RenderFarm farm;
  private static Map<Stage, Integer> stageWorkers;
  private static GatewayClient studioA;
  private static GatewayClient studioB;
  private static GatewayClient studioC;
  /** studio-c's quotas: unfinished jobs, and tasks running at once at each stage. */
  private static final int QUEUE_QUOTA = 10;
  private static final int RUNNING_QUOTA = 1;
  private String cleanUp;

  /** Where the default tenant's webhooks go: a receiver that fails the first tries of each. */
  private static WebhookReceiver receiver;

  @BeforeAll
  static void startFarm() throws Exception {
    receiver = WebhookReceiver.start(2);
    Path dir = Path.of("target", "it-scheduling").toAbsolutePath();
    DataDirs.delete(dir);
    Map<Stage, Integer> workers = RenderFarm.oneOfEachStage();
    workers.put(Stage.REWRITE, 2);
    farm = RenderFarm.start(dir, workers, true, Map.of("FLOWREEL_SIMULATED_COMPUTE_HOLD", "50ms",
        "FLOWREEL_GATEWAY_QUEUE_QUOTA", "studio-c=" + QUEUE_QUOTA,
        "FLOWREEL_SCHEDULER_RUNNING_QUOTA", "studio-c=" + RUNNING_QUOTA,
        "FLOWREEL_GATEWAY_WEBHOOK_SECRET", "it-webhook-secret-" + "0123456789".repeat(4),
        "FLOWREEL_GATEWAY_CALLBACK_HOSTS", "default=127.0.0.1:" + receiver.port()));
    stageWorkers = workers;
    studioA = new GatewayClient(farm.gatewayUrl(), farm.credentials().localKey(), Duration.ofSeconds(60));
    studioB = new GatewayClient(farm.gatewayUrl(), farm.credentials().issue("studio-b", ApiKeys.Role.STUDIO),
        Duration.ofSeconds(60));
    studioC = new GatewayClient(farm.gatewayUrl(), farm.credentials().issue("studio-c", ApiKeys.Role.STUDIO),
        Duration.ofSeconds(60));
  }

  @AfterAll
  static void stopFarm() {
    if (farm != null) {
      farm.close();
    }
    if (receiver != null) {
      receiver.close();
    }
  }

  /** The big batch of each test goes, so that the next test starts on idle stages. */
  @AfterEach
  void cancelTheBigBatch() throws Exception {
    if (cleanUp != null) {
      studioA.post("/v1/batches/" + cleanUp + "/cancel", null, null);
      await("the big batch drained").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
          .until(() -> studioA.tryGetJson("/v1/batches/" + cleanUp).map(SchedulingIT::finished).orElse(false));
    }
  }

  @Test
  void aPriorityNineJobWaitsAtEveryStageForAtMostTheTaskRunningThere() throws Exception {
    String background = submit(studioA, 300, 0, "background");
    cleanUp = background;
    await("the background batch under way").atMost(Duration.ofSeconds(60))
        .until(() -> studioA.getJson("/v1/batches/" + background).path("succeeded").asInt() >= 2);
    String urgentBatch = submit(studioA, 1, 9, "urgent");
    String urgent = jobs(studioA, urgentBatch).get(0);
    await("the urgent job published").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> state(studioA, urgent).equals("SUCCEEDED"));
    int backgroundDone = studioA.getJson("/v1/batches/" + background).path("succeeded").asInt();
    assertThat(backgroundDone).as("background jobs finished by then").isLessThan(100);

    // When the urgent task arrived at each stage's queue: the scheduler's own record of it ("W <since> <order key>"
    // in its tasks store, whose changelog has every change: the store keeps no cache).
    Map<String, Long> arrived = new HashMap<>();
    for (ConsumerRecord<String, byte[]> change : farm.readCommitted("flowreel-scheduler-tasks-changelog")) {
      if (change.key().contains("/" + urgent + "/") && change.value() != null) {
        String place = new String(change.value(), StandardCharsets.UTF_8);
        if (place.startsWith("W ")) {
          arrived.putIfAbsent(change.key().substring(0, change.key().indexOf('/')), Long.parseLong(place.split(" ")[1]));
        }
      }
    }
    List<StageEvent> events = farm.allEvents();
    List<StageEvent> own = events.stream().filter(e -> e.getJobId().equals(urgent)).toList();
    for (Stage stage : Stages.PIPELINE) {
      // Admissions to the stage's topic, in order, each stamped with the scheduler's clock when it admitted it.
      List<ConsumerRecord<String, byte[]>> admitted = farm.readCommitted(Topics.tasks(stage).name());
      long since = arrived.getOrDefault(Stages.id(stage), -1L);
      long urgentAdmitted = admitted.stream().filter(r -> r.key().equals(urgent)).findFirst().orElseThrow()
          .timestamp();
      // With lookahead 0 the next free worker takes the urgent task: no other task is admitted while it waits.
      // Without the scheduler all 300 would be ahead of it.
      long overtook = since < 0 ? 0 : admitted.stream().filter(r -> !r.key().equals(urgent))
          .filter(r -> r.timestamp() > since && r.timestamp() < urgentAdmitted).count();
      long started = time(own, stage, StageEventType.STARTED);
      long runningWhenItArrived = events.stream()
          .filter(e -> e.getStage() == stage && e.getType() == StageEventType.STARTED && !e.getJobId().equals(urgent))
          .filter(e -> e.getTimeMillis() > since && e.getTimeMillis() < started).count();
      System.out.printf("urgent job at %s: %s; %d other tasks admitted while it waited, %d started (admitted before "
          + "it arrived)%n", Stages.id(stage), since < 0 ? "admitted on arrival"
          : "waited " + (urgentAdmitted - since) + " ms for a worker", overtook, runningWhenItArrived);
      assertThat(overtook).as("tasks admitted to " + Stages.id(stage) + " while the urgent job waited there").isZero();
      assertThat(runningWhenItArrived).as("tasks started at " + Stages.id(stage) + " while it waited")
          .isLessThanOrEqualTo(stageWorkers.get(stage));
    }
  }

  @Test
  void aSecondTenantGetsHalfOfEveryStageWhileBothHaveWorkAndTheFirstKeepsWorking() throws Exception {
    String big = submit(studioA, 600, 0, "a-big");
    cleanUp = big;
    await("tenant A under way").atMost(Duration.ofSeconds(60))
        .until(() -> studioA.getJson("/v1/batches/" + big).path("succeeded").asInt() >= 1);
    String small = submit(studioB, 50, 0, "b-small");
    await("tenant B's batch done").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
        .until(() -> finished(studioB.getJson("/v1/batches/" + small)));
    JsonNode smallDone = studioB.getJson("/v1/batches/" + small);
    assertThat(smallDone.path("succeeded").asInt()).isEqualTo(50);
    assertThat(studioA.getJson("/v1/batches/" + big).path("succeeded").asInt())
        .as("tenant A's jobs finished when B's 50 had").isLessThan(300);

    // At the first stage, from B's first task to its last: B's share of what the stage started is its weight's.
    Set<String> jobsOfB = Set.copyOf(jobs(studioB, small));
    List<StageEvent> rewrites = farm.allEvents().stream()
        .filter(e -> e.getStage() == Stage.REWRITE && e.getType() == StageEventType.STARTED)
        .sorted((x, y) -> Long.compare(x.getTimeMillis(), y.getTimeMillis())).toList();
    int first = -1;
    int last = -1;
    for (int i = 0; i < rewrites.size(); i++) {
      if (jobsOfB.contains(rewrites.get(i).getJobId().toString())) {
        first = first < 0 ? i : first;
        last = i;
      }
    }
    List<StageEvent> window = rewrites.subList(first, last + 1);
    Map<Boolean, Long> byTenant = window.stream()
        .collect(Collectors.partitioningBy(e -> jobsOfB.contains(e.getJobId().toString()), Collectors.counting()));
    System.out.printf("tenant B: %d of %d rewrites from its first to its last; tenant A had %d jobs done when B's "
        + "50 were%n", byTenant.get(true), window.size(), studioA.getJson("/v1/batches/" + big).path("succeeded").asInt());
    assertThat(window.size()).as("tasks in the window").isGreaterThanOrEqualTo(95);
    assertThat((double) byTenant.get(true) / window.size()).as("B's share of " + window.size() + " rewrites")
        .isBetween(0.4, 0.6);
    assertThat(byTenant.get(false)).as("A's rewrites meanwhile").isGreaterThanOrEqualTo(40);
  }

  @Test
  void aSubmissionOverTheQueueQuotaIsRefusedWholeAndTheRunningQuotaHoldsAtEveryStage() throws Exception {
    // studio-a's priority-9 work holds every stage, so studio-c's jobs stay queued while its quota is tried.
    String background = submit(studioA, 200, 9, "quota-background");
    cleanUp = background;
    String first = submit(studioC, 8, 0, "c-first");
    await("studio-c's 8 jobs counted").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> studioC.getJson("/v1/usage").path("queued").asInt() == 8);
    assertThat(studioC.getJson("/v1/usage").path("queueQuota").asInt()).isEqualTo(QUEUE_QUOTA);

    HttpResponse<String> over = studioC.post("/v1/batches", batch(3, 0), "c-over");
    assertThat(over.statusCode()).as(over.body()).isEqualTo(429);
    assertThat(GatewayClient.json(over).path("reason").asText())
        .contains("tenant studio-c has 8 unfinished jobs", "queue quota of 10", "a batch of 3 would exceed it");
    HttpResponse<String> tooBig = studioC.post("/v1/batches", batch(QUEUE_QUOTA + 1, 0), null);
    assertThat(tooBig.statusCode()).as(tooBig.body()).isEqualTo(429);
    assertThat(GatewayClient.json(tooBig).path("reason").asText()).contains("larger than tenant studio-c's queue quota");
    String second = submit(studioC, 2, 0, "c-second");
    await("studio-c's 10 jobs counted").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> studioC.getJson("/v1/usage").path("queued").asInt() == 10);
    // Had the refused batch been submitted, its repeat would be answered 200 with the batch (Idempotent-Replayed).
    HttpResponse<String> repeated = studioC.post("/v1/batches", batch(3, 0), "c-over");
    assertThat(repeated.statusCode()).as(repeated.body()).isEqualTo(429);
    assertThat(GatewayClient.json(repeated).path("reason").asText()).contains("has 10 unfinished jobs");

    studioA.post("/v1/batches/" + background + "/cancel", null, null);
    await("studio-c's jobs done").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
        .until(() -> finished(studioC.getJson("/v1/batches/" + first)) && finished(studioC.getJson("/v1/batches/" + second)));
    assertThat(studioC.getJson("/v1/batches/" + first).path("succeeded").asInt()).isEqualTo(8);

    Set<String> jobsOfC = Set.copyOf(jobs(studioC, first));
    List<StageEvent> events = farm.allEvents().stream().filter(e -> jobsOfC.contains(e.getJobId().toString())).toList();
    for (Stage stage : Stages.PIPELINE) {
      int most = mostAtOnce(events.stream().filter(e -> e.getStage() == stage).toList());
      System.out.printf("studio-c at %s: at most %d tasks at once (%d workers)%n", Stages.id(stage), most,
          stageWorkers.get(stage));
      assertThat(most).as("studio-c's tasks running at once at " + Stages.id(stage)).isEqualTo(RUNNING_QUOTA);
    }
  }

  @Test
  void aPausedBatchGetsNoWorkerUntilResumedAndItsNewPriorityTakesItAheadOfTheQueue() throws Exception {
    String background = submit(studioA, 200, 0, "steer-background");
    cleanUp = background;
    await("the background batch under way").atMost(Duration.ofSeconds(60))
        .until(() -> studioA.getJson("/v1/batches/" + background).path("succeeded").asInt() >= 2);
    String steered = submit(studioB, 20, 0, "steered");
    HttpResponse<String> pause = studioB.post("/v1/batches/" + steered + "/pause", null, null);
    assertThat(pause.statusCode()).as(pause.body()).isEqualTo(202);
    List<String> ids = jobs(studioB, steered);
    await("every job of the batch held").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
        .until(() -> studioB.getJson("/v1/batches/" + steered + "/jobs?limit=100").path("jobs").findValues("paused")
            .stream().filter(JsonNode::asBoolean).count() == ids.size());
    // The farm goes on meanwhile: 20 more background jobs through every stage while the batch is held.
    int before = studioA.getJson("/v1/batches/" + background).path("succeeded").asInt();
    await("the background batch goes on").atMost(Duration.ofSeconds(60))
        .until(() -> studioA.getJson("/v1/batches/" + background).path("succeeded").asInt() >= before + 20);

    HttpResponse<String> raise = studioB.post("/v1/batches/" + steered + "/priority", "{\"priority\": 9}", null);
    assertThat(raise.statusCode()).as(raise.body()).isEqualTo(202);
    HttpResponse<String> resume = studioB.post("/v1/batches/" + steered + "/resume", null, null);
    assertThat(resume.statusCode()).as(resume.body()).isEqualTo(202);
    await("the resumed batch done").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
        .until(() -> finished(studioB.getJson("/v1/batches/" + steered)));
    assertThat(studioB.getJson("/v1/batches/" + steered).path("succeeded").asInt()).isEqualTo(ids.size());
    assertThat(studioB.getJson("/v1/jobs/" + ids.get(0)).path("spec").path("priority").asInt()).isEqualTo(9);

    Set<String> held = Set.copyOf(ids);
    List<StageEvent> events = farm.allEvents();
    for (String job : ids) {
      List<StageEvent> own = events.stream().filter(e -> e.getJobId().toString().equals(job)).toList();
      // Held at REWRITE, or at the next stage if a worker had it when the pause came.
      long pausedAt = time(own, StageEventType.PAUSED);
      long resumedAt = time(own, StageEventType.RESUMED);
      assertThat(own).as("what " + job + " started while paused")
          .noneMatch(e -> e.getType() == StageEventType.STARTED && e.getTimeMillis() > pausedAt
              && e.getTimeMillis() < resumedAt);
    }
    // From the resume to the batch's last REWRITE start, the background started at most what was already admitted.
    long resumedAt = events.stream().filter(e -> held.contains(e.getJobId().toString()))
        .filter(e -> e.getType() == StageEventType.RESUMED)
        .mapToLong(StageEvent::getTimeMillis).min().orElseThrow();
    long lastStart = events.stream().filter(e -> held.contains(e.getJobId().toString()))
        .filter(e -> e.getStage() == Stage.REWRITE && e.getType() == StageEventType.STARTED)
        .mapToLong(StageEvent::getTimeMillis).max().orElseThrow();
    long overtaking = events.stream().filter(e -> !held.contains(e.getJobId().toString()))
        .filter(e -> e.getStage() == Stage.REWRITE && e.getType() == StageEventType.STARTED)
        .filter(e -> e.getTimeMillis() > resumedAt && e.getTimeMillis() < lastStart).count();
    System.out.printf("resumed at priority 9: %d background rewrites started before the batch's last one%n",
        overtaking);
    assertThat(overtaking).isLessThanOrEqualTo(stageWorkers.get(Stage.REWRITE));
  }

  @Test
  void aBatchsWebhooksArriveSignedEachUnderItsIdAfterTheReceiverFailedTheirFirstTries() throws Exception {
    String url = "http://127.0.0.1:" + receiver.port() + "/hooks";
    // The batch's webhooks go to /hooks, but for the first job's, which names its own address.
    String body = batch(3, 0).replaceFirst("\\{", "{\"callbackUrl\": \"" + url + "\", ")
        .replaceFirst("\"seed\": 0}", "\"seed\": 0, \"callbackUrl\": \"" + url.replace("/hooks", "/job-hooks") + "\"}");
    HttpResponse<String> answer = studioA.post("/v1/batches", body, "with-webhooks");
    assertThat(answer.statusCode()).as(answer.body()).isIn(201, 202);
    String batchId = GatewayClient.json(answer).path("batch").path("id").asText();
    List<String> jobIds = jobs(studioA, batchId);

    await("the batch's webhooks").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
        .until(() -> receiver.delivered(batchId).stream().map(h -> h.json().path("type").asText()).toList()
            .containsAll(List.of("job.succeeded", "batch.done"))
            && receiver.delivered(batchId).stream().filter(h -> h.json().path("type").asText().equals("job.succeeded"))
                .map(h -> h.json().path("jobId").asText()).distinct().count() == 3);
    receiver.delivered(batchId).forEach(hook -> System.out.printf("webhook %s (refused %d times first): %s%n",
        hook.id(), receiver.refusedTries(hook.id()), new String(hook.body(), StandardCharsets.UTF_8)));
    String secret = studioA.getJson("/v1/webhooks/secret").path("secret").asText();
    for (WebhookReceiver.Hook hook : receiver.delivered(batchId)) {
      assertThat(hook.signature()).as("signature of " + hook.id()).isEqualTo(WebhookReceiver.sign(secret, hook.body()));
      assertThat(hook.json().path("id").asText()).isEqualTo(hook.id());
      assertThat(receiver.refusedTries(hook.id())).as("tries refused before " + hook.id() + " got through")
          .isEqualTo(2);
    }
    assertThat(receiver.delivered(batchId).stream().filter(h -> h.json().path("type").asText().equals("batch.done"))
        .map(WebhookReceiver.Hook::json)).first().satisfies(done -> {
          assertThat(done.path("total").asInt()).isEqualTo(3);
          assertThat(done.path("succeeded").asInt()).isEqualTo(3);
        });
    assertThat(receiver.delivered(batchId).stream().filter(h -> h.json().path("type").asText().equals("job.succeeded"))
        .map(h -> h.json().path("jobId").asText()).distinct()).containsExactlyInAnyOrderElementsOf(jobIds);
    assertThat(receiver.delivered(batchId)).allSatisfy(hook -> assertThat(hook.path()).as(hook.id())
        .isEqualTo(jobIds.get(0).equals(hook.json().path("jobId").asText()) ? "/job-hooks" : "/hooks"));

    // Only the hosts the operator allowed the tenant: not the cloud's metadata address, and not for another tenant.
    HttpResponse<String> internal = studioA.post("/v1/batches",
        batch(1, 0).replaceFirst("\\{", "{\"callbackUrl\": \"http://169.254.169.254/latest/meta-data\", "), null);
    assertThat(internal.statusCode()).as(internal.body()).isEqualTo(400);
    assertThat(GatewayClient.json(internal).path("reason").asText())
        .contains("is not one tenant default may send webhooks to");
    HttpResponse<String> otherTenant = studioB.post("/v1/batches", body, null);
    assertThat(otherTenant.statusCode()).as(otherTenant.body()).isEqualTo(400);
  }

  /** Most tasks running at once, each from its STARTED to its SUCCEEDED event. */
  private static int mostAtOnce(List<StageEvent> events) {
    List<long[]> edges = events.stream()
        .filter(e -> e.getType() == StageEventType.STARTED || e.getType() == StageEventType.SUCCEEDED)
        // at one millisecond, an end before a start: a task that finished frees its place first
        .map(e -> new long[] {e.getTimeMillis(), e.getType() == StageEventType.STARTED ? 1 : -1})
        .sorted((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1])).toList();
    int running = 0;
    int most = 0;
    for (long[] edge : edges) {
      running += (int) edge[1];
      most = Math.max(most, running);
    }
    return most;
  }

  private static String submit(GatewayClient client, int jobs, int priority, String key) throws Exception {
    HttpResponse<String> answer = client.post("/v1/batches", batch(jobs, priority), key);
    assertThat(answer.statusCode()).as(answer.body()).isIn(201, 202);
    return GatewayClient.json(answer).path("batch").path("id").asText();
  }

  private static String batch(int jobs, int priority) {
    StringBuilder body = new StringBuilder("{\"defaults\": {" + SMALL + ", \"priority\": " + priority + "}, \"jobs\": [");
    for (int i = 0; i < jobs; i++) {
      body.append(i == 0 ? "" : ", ").append("{\"prompt\": \"a ball ").append(i).append("\", \"seed\": ").append(i)
          .append('}');
    }
    return body.append("]}").toString();
  }

  private static boolean finished(JsonNode batch) {
    return batch.path("total").asInt() > 0 && batch.path("done").asInt() == batch.path("total").asInt();
  }

  private static List<String> jobs(GatewayClient client, String batch) throws Exception {
    return client.getJson("/v1/batches/" + batch + "/jobs?limit=1000").path("jobs").findValuesAsText("id");
  }

  private static String state(GatewayClient client, String job) throws Exception {
    return client.getJson("/v1/jobs/" + job).path("state").asText();
  }

  private static long time(List<StageEvent> events, StageEventType type) {
    return events.stream().filter(e -> e.getType() == type).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type)).getTimeMillis();
  }

  private static long time(List<StageEvent> events, Stage stage, StageEventType type) {
    return events.stream().filter(e -> e.getStage() == stage && e.getType() == type).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " at " + Stages.id(stage))).getTimeMillis();
  }
}
