package io.flowreel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowreel.contract.ApiKeys;
import io.flowreel.contract.Stages;
import io.flowreel.infra.DataDirs;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scheduler on the real farm (issue 21, items 1 and 2): one simulated-compute worker per stage, jobs submitted
 * through the gateway by two tenants. What each stage started, and when, is read from the stage events.
 */
class SchedulingIT {

  private static final String SMALL = "\"width\": 64, \"height\": 64, \"frames\": 5, \"steps\": 2";

  private static RenderFarm farm;
  private static GatewayClient studioA;
  private static GatewayClient studioB;
  private String cleanUp;

  @BeforeAll
  static void startFarm() throws Exception {
    Path dir = Path.of("target", "it-scheduling").toAbsolutePath();
    DataDirs.delete(dir);
    farm = RenderFarm.start(dir, RenderFarm.oneOfEachStage(), true, Map.of("FLOWREEL_SIMULATED_COMPUTE_HOLD", "50ms"));
    studioA = new GatewayClient(farm.gatewayUrl(), farm.credentials().localKey(), Duration.ofSeconds(60));
    studioB = new GatewayClient(farm.gatewayUrl(), farm.credentials().issue("studio-b", ApiKeys.Role.STUDIO),
        Duration.ofSeconds(60));
  }

  @AfterAll
  static void stopFarm() {
    if (farm != null) {
      farm.close();
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

    List<StageEvent> events = farm.allEvents();
    List<StageEvent> own = events.stream().filter(e -> e.getJobId().equals(urgent)).toList();
    long waitingSince = own.stream().filter(e -> e.getType() == StageEventType.QUEUED).findFirst().orElseThrow()
        .getTimeMillis();
    for (Stage stage : Stages.PIPELINE) {
      long started = time(own, stage, StageEventType.STARTED);
      long since = waitingSince;
      // Tasks of other jobs this stage started while the urgent one waited there: at most the one admitted to
      // the stage's only worker before the urgent job arrived (lookahead 0). Without the scheduler: all 300.
      long overtaken = events.stream().filter(e -> e.getStage() == stage && e.getType() == StageEventType.STARTED)
          .filter(e -> !e.getJobId().equals(urgent))
          .filter(e -> e.getTimeMillis() > since && e.getTimeMillis() < started).count();
      System.out.printf("urgent job at %s: waited %d ms, %d other tasks started meanwhile%n", Stages.id(stage),
          started - since, overtaken);
      assertThat(overtaken).as("tasks started at " + Stages.id(stage) + " while the urgent job waited there")
          .isLessThanOrEqualTo(1);
      waitingSince = time(own, stage, StageEventType.SUCCEEDED);
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

  private static String submit(GatewayClient client, int jobs, int priority, String key) throws Exception {
    StringBuilder body = new StringBuilder("{\"defaults\": {" + SMALL + ", \"priority\": " + priority + "}, \"jobs\": [");
    for (int i = 0; i < jobs; i++) {
      body.append(i == 0 ? "" : ", ").append("{\"prompt\": \"a ball ").append(i).append("\", \"seed\": ").append(i)
          .append('}');
    }
    HttpResponse<String> answer = client.post("/v1/batches", body.append("]}").toString(), key);
    assertThat(answer.statusCode()).as(answer.body()).isIn(201, 202);
    return GatewayClient.json(answer).path("batch").path("id").asText();
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

  private static long time(List<StageEvent> events, Stage stage, StageEventType type) {
    return events.stream().filter(e -> e.getStage() == stage && e.getType() == type).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " at " + Stages.id(stage))).getTimeMillis();
  }
}
