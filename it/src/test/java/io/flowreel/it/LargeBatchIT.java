package io.flowreel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowreel.contract.Stages;
import io.flowreel.infra.DataDirs;
import io.flowreel.infra.ServiceProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A batch of 2,000 jobs as a studio queues it (issue 19, item 7): submitted in one request to a farm
 * of simulated-compute stages, watched through the batch status and pages of its jobs, cancelled
 * while it runs. Every job must end SUCCEEDED (those finished before the cancel, each with its
 * published manifest) or CANCELLED (with nothing published); none lost, none failed. Then the storage
 * lifecycle (item 5), with retention shortened from a day and a month to seconds: the work bucket
 * holds none of the batch's objects, the outputs go after their own retention, and every worker's
 * control view is empty again (tombstones), as no job is open.
 */
class LargeBatchIT {

  private static final int JOBS = 2000;
  /** Jobs cancelled one by one before the batch is: each leaves a command keyed by the job on the control topic. */
  private static final int CANCELLED_ALONE = 10;
  private static final Duration WORK_RETENTION = Duration.ofSeconds(5);
  /** Long enough for the first part to list the outputs of every job that succeeded. */
  private static final Duration OUTPUT_RETENTION = Duration.ofSeconds(75);
  private static final Pattern PUBLISHED = Pattern.compile("outputs/[^/]+/(.+)\\.attempt-1\\.simulated\\.json");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private static RenderFarm farm;
  private static GatewayClient api;

  @BeforeAll
  static void startFarm() throws Exception {
    Path dir = Path.of("target", "it-large-batch").toAbsolutePath();
    DataDirs.delete(dir);
    farm = RenderFarm.start(dir, RenderFarm.oneOfEachStage(), true, Map.of("FLOWREEL_SIMULATED_COMPUTE_HOLD", "100ms",
        "FLOWREEL_RETENTION_WORK", WORK_RETENTION.toMillis() + "ms",
        "FLOWREEL_RETENTION_OUTPUTS", OUTPUT_RETENTION.toMillis() + "ms",
        "FLOWREEL_RETENTION_SCAN_INTERVAL", "1s"));
    api = new GatewayClient(farm.gatewayUrl(), farm.credentials().localKey(), Duration.ofSeconds(60));
  }

  @AfterAll
  static void stopFarm() {
    if (farm != null) {
      farm.close();
    }
  }

  @Test
  void aBatchOfTwoThousandJobsIsSubmittedWatchedAndCancelledWithNoJobLost() throws Exception {
    StringBuilder body = new StringBuilder("{\"defaults\": {\"width\": 64, \"height\": 64, \"frames\": 5, \"steps\": 2}, "
        + "\"jobs\": [");
    for (int i = 0; i < JOBS; i++) {
      body.append(i == 0 ? "" : ", ").append("{\"prompt\": \"a red ball ").append(i).append("\", \"seed\": ")
          .append(i).append('}');
    }
    long t0 = System.nanoTime();
    HttpResponse<String> submitted = api.post("/v1/batches", body.append("]}").toString(), "large-batch");
    double submitSeconds = (System.nanoTime() - t0) / 1e9;
    assertThat(submitted.statusCode()).as(submitted.body()).isIn(201, 202);
    String batch = GatewayClient.json(submitted).path("batch").path("id").asText();

    // Watched as a studio would: the counts move, and any page of the jobs can be read.
    await().atMost(Duration.ofMinutes(2))
        .until(() -> api.getJson("/v1/batches/" + batch).path("succeeded").asLong() >= 10);
    JsonNode page = api.getJson("/v1/batches/" + batch + "/jobs?from=1500&limit=500");
    assertThat(page.path("jobs")).hasSize(500);
    assertThat(page.path("total").asLong()).isEqualTo(JOBS);
    assertThat(page.path("jobs").get(0).path("id").asText()).isEqualTo(String.format("%s-%06d", batch, 1500));

    for (int i = JOBS - CANCELLED_ALONE; i < JOBS; i++) {
      HttpResponse<String> one = api.post("/v1/jobs/" + String.format("%s-%06d", batch, i) + "/cancel", null, null);
      assertThat(one.statusCode()).as(one.body()).isEqualTo(202);
    }
    long cancelledAt = System.nanoTime();
    HttpResponse<String> cancel = api.post("/v1/batches/" + batch + "/cancel", null, null);
    assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(202);
    await().atMost(Duration.ofMinutes(4))
        .until(() -> api.getJson("/v1/batches/" + batch).path("done").asLong() >= JOBS);
    double cancelSeconds = (System.nanoTime() - cancelledAt) / 1e9;

    Map<String, String> states = new TreeMap<>();
    for (int from = 0; from < JOBS; from += 1000) {
      api.getJson("/v1/batches/" + batch + "/jobs?from=" + from + "&limit=1000").path("jobs")
          .forEach(job -> states.put(job.path("id").asText(), job.path("state").asText()));
    }
    Set<String> published = farm.keys(RenderFarm.OUTPUT_BUCKET, "outputs/" + batch + "/").stream()
        .map(PUBLISHED::matcher).filter(Matcher::matches).map(m -> m.group(1)).collect(Collectors.toSet());
    Map<String, Long> counts = states.values().stream().collect(Collectors.groupingBy(s -> s, TreeMap::new,
        Collectors.counting()));
    JsonNode status = api.getJson("/v1/batches/" + batch);
    System.out.printf("2,000 jobs submitted in %.1f s; cancelled after %d had succeeded; every job ended %.1f s "
        + "after the cancel: %s%n", submitSeconds, published.size(), cancelSeconds, counts);

    assertThat(states).as("every job known, none lost").hasSize(JOBS);
    assertThat(counts.keySet()).as("every job succeeded or was cancelled").isSubsetOf("SUCCEEDED", "CANCELLED")
        .contains("CANCELLED");
    assertThat(states.entrySet().stream().filter(e -> e.getValue().equals("SUCCEEDED")).map(Map.Entry::getKey))
        .as("published exactly the jobs that succeeded").containsExactlyInAnyOrderElementsOf(published);
    assertThat(status.path("succeeded").asLong()).as(status.toString()).isEqualTo(counts.getOrDefault("SUCCEEDED", 0L));
    assertThat(status.path("cancelled").asLong()).as(status.toString()).isEqualTo(counts.get("CANCELLED"));
    assertThat(status.path("failed").asLong()).as(status.toString()).isZero();

    // Storage lifecycle: work objects WORK_RETENTION after each job ended, outputs OUTPUT_RETENTION after
    // it was published, and the control commands of the finished jobs and batch (a scan a second).
    List<ServiceProcess> workers = farm.services().stream().filter(p -> RenderFarm.SERVICES.containsValue(p.service()))
        .toList();
    assertThat(workers).hasSize(Stages.PIPELINE.size());
    // The queued jobs showed CANCELLED at once, but their tasks are dropped one at a time as the stages reach
    // them (tens a second), and each job's work and command wait for that before their retention starts.
    await().atMost(WORK_RETENTION.plus(Duration.ofMinutes(3))).untilAsserted(() -> {
      assertThat(farm.keys(RenderFarm.WORK_BUCKET, "jobs/" + batch)).as("work objects of the batch").isEmpty();
      for (ServiceProcess worker : workers) {
        assertThat(controlViewTargets(worker)).as("control commands held by " + worker.instanceId()).isZero();
      }
    });
    assertThat(farm.keys(RenderFarm.OUTPUT_BUCKET, "outputs/" + batch + "/")).as("outputs before their retention")
        .isNotEmpty();
    // Every cancelled task has left the queues by now: none of them was run and published after all.
    Set<String> succeeded = states.entrySet().stream().filter(e -> e.getValue().equals("SUCCEEDED"))
        .map(Map.Entry::getKey).collect(Collectors.toSet());
    assertThat(farm.keys(RenderFarm.OUTPUT_BUCKET, "outputs/" + batch + "/").stream().map(PUBLISHED::matcher)
        .filter(Matcher::matches).map(m -> m.group(1))).as("published after the drain").isSubsetOf(succeeded);
    await().atMost(OUTPUT_RETENTION.plusSeconds(30)).until(() ->
        farm.keys(RenderFarm.OUTPUT_BUCKET, "outputs/" + batch + "/").isEmpty());
  }

  /** The worker's {@code flowreel_control_view_targets} gauge, from its /q/metrics. */
  private static double controlViewTargets(ServiceProcess worker) throws Exception {
    String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(worker.baseUrl() + "/q/metrics"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    return metrics.lines().filter(line -> line.startsWith("flowreel_control_view_targets"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).findFirst()
        .orElseThrow(() -> new AssertionError(worker.instanceId() + " exports no flowreel_control_view_targets"));
  }
}
