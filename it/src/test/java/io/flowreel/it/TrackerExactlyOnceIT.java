package io.flowreel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowreel.contract.Stages;
import io.flowreel.infra.DataDirs;
import io.flowreel.infra.LocalStack;
import io.flowreel.infra.ServiceProcess;
import io.flowreel.messages.ArtifactFormat;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tracker folds every event exactly once into the batch counts, also when it is killed with -9
 * in the middle of a batch (issue 19, item 6). The tracker and the gateway run as processes under
 * the supervisor; the test submits a batch through the gateway and then plays the stages itself,
 * putting every job's STARTED and SUCCEEDED events of all six stages on {@code flowreel.events} at
 * once, and kills the tracker three times while it folds them. At least once (2026-12-05), the same
 * test failed two runs of four: once with 2,267 of 1,500 jobs counted succeeded, once with the done
 * count stuck below 1,500.
 */
class TrackerExactlyOnceIT {

  private static final int JOBS = 1500;

  private static RenderFarm farm;
  private static GatewayClient api;

  @BeforeAll
  static void startFarm() throws Exception {
    Path dir = Path.of("target", "it-tracker-eos").toAbsolutePath();
    DataDirs.delete(dir);
    farm = RenderFarm.start(dir, Map.of(), true);
    farm.supervise();
    api = new GatewayClient(farm.gatewayUrl(), farm.credentials().localKey(), Duration.ofSeconds(5));
  }

  @AfterAll
  static void stopFarm() {
    if (farm != null) {
      farm.close();
    }
  }

  @Test
  void batchCountsStayExactAcrossKillNineOfTheTrackerMidBatch() throws Exception {
    StringBuilder body = new StringBuilder("{\"defaults\": {\"width\": 64, \"height\": 64, \"frames\": 5}, \"jobs\": [");
    for (int i = 0; i < JOBS; i++) {
      body.append(i == 0 ? "" : ", ").append("{\"prompt\": \"a red ball\", \"seed\": ").append(i).append('}');
    }
    HttpResponse<String> submitted = new GatewayClient(farm.gatewayUrl(), farm.credentials().localKey(), Duration.ofSeconds(60))
        .post("/v1/batches", body.append("]}").toString(), null);
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(201);
    String batch = GatewayClient.json(submitted).path("batch").path("id").asText();
    await().atMost(Duration.ofSeconds(60)).until(() -> count(batch, "queued") == JOBS);

    List<StageEvent> events = new ArrayList<>();
    for (int i = 0; i < JOBS; i++) {
      String job = String.format("%s-%06d", batch, i);
      for (Stage stage : Stages.PIPELINE) {
        events.add(event(job, batch, stage, StageEventType.STARTED).build());
        events.add(event(job, batch, stage, StageEventType.SUCCEEDED).setDurationMillis(5L)
            .setArtifacts(List.of(artifact(job, stage))).build());
      }
    }
    farm.sendEvents(events);

    // Folding is quick (thousands of events a second): kill as soon as it has begun, then twice more.
    for (long reached : new long[] {1, JOBS / 3, 2 * JOBS / 3}) {
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
          .until(() -> count(batch, "succeeded") >= reached);
      long succeeded = count(batch, "succeeded");
      trackerProcess().kill();
      System.out.printf("tracker killed with -9 at %d of %d jobs succeeded%n", succeeded, JOBS);
    }
    try {
      await().atMost(Duration.ofMinutes(2)).until(() -> count(batch, "done") >= JOBS);
    } catch (ConditionTimeoutException e) {
      // counts that drifted below the total never get there: the assertions below name them
    }
    // Let any replay the restart would do arrive before judging the counts.
    await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> true);

    JsonNode status = api.tryGetJson("/v1/batches/" + batch).orElseThrow();
    assertThat(status.path("total").asLong()).as(status.toString()).isEqualTo(JOBS);
    assertThat(status.path("succeeded").asLong()).as(status.toString()).isEqualTo(JOBS);
    assertThat(status.path("done").asLong()).as(status.toString()).isEqualTo(JOBS);
    assertThat(status.path("queued").asLong() + status.path("running").asLong() + status.path("failed").asLong())
        .as(status.toString()).isZero();
  }

  private static ServiceProcess trackerProcess() {
    return farm.services().stream().filter(s -> s.service().equals(LocalStack.TRACKER) && s.isAlive()).findFirst()
        .orElseThrow(() -> new AssertionError("no tracker process is running"));
  }

  private static StageEvent.Builder event(String job, String batch, Stage stage, StageEventType type) {
    return StageEvent.newBuilder().setEventId(job + "-" + stage + "-" + type).setJobId(job).setBatchId(batch)
        .setTenant("default").setStage(stage).setAttempt(1).setType(type).setTimeMillis(System.currentTimeMillis())
        .setWorker("test").setArtifacts(List.of());
  }

  private static ArtifactRef artifact(String job, Stage stage) {
    return ArtifactRef.newBuilder().setStage(stage).setName(stage == Stage.PUBLISH ? "manifest" : Stages.id(stage))
        .setBucket("flowreel-work").setKey("jobs/" + job + "/attempt-1/" + Stages.id(stage) + "/out.json")
        .setSha256("ab".repeat(32)).setSize(10).setFormat(ArtifactFormat.JSON).build();
  }

  /** A count of the batch as the gateway shows it, or -1 while the tracker is being restarted. */
  private static long count(String batch, String field) {
    return api.tryGetJson("/v1/batches/" + batch).map(b -> b.path(field).asLong()).orElse(-1L);
  }
}
