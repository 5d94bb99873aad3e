package io.flowreel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.contract.ApiKeys;
import io.flowreel.contract.Stages;
import io.flowreel.contract.Topics;
import io.flowreel.contract.TraceHeaders;
import io.flowreel.infra.DataDirs;
import io.flowreel.infra.ServiceProcess;
import io.flowreel.media.Mp4Reader;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.ArtifactKeys;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.FluentWait;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.yaml.snakeyaml.Yaml;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The public API end to end: the gateway and the tracker in front of the six stage services, each
 * its own process, on a real broker and S3 server. Everything goes through HTTP as a studio's
 * pipeline would drive it.
 */
class GatewayIT {

  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(3);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** Small and fast: 64x64, 5 frames, 4 steps. */
  private static final String SMALL = "\"width\": 64, \"height\": 64, \"frames\": 5, \"steps\": 4";

  private static RenderFarm farm;
  private static OtlpReceiver traces;
  private static String api;
  /** The API key of the studio every test but the two-tenant one acts as. */
  private static String studioKey;
  /** Every exchange, written to target/api-transcript.md: docs/api.md quotes it. */
  private static final StringBuilder TRANSCRIPT = new StringBuilder("# API transcript of GatewayIT\n");

  @BeforeAll
  static void startFarm() throws Exception {
    Path dir = Path.of("target", "it-gateway").toAbsolutePath();
    DataDirs.delete(dir);
    // One denoiser: a long job holds it, so the next one waits in its queue. JSON logs, as an operator's log
    // pipeline reads them: a test checks what a task's lines carry.
    traces = OtlpReceiver.start();
    farm = RenderFarm.start(dir, RenderFarm.oneOfEachStage(), true, Map.of("FLOWREEL_LOG_JSON", "true",
        // Traces to a local receiver, as to a collector; sent within 200 ms instead of the SDK's 5 s.
        "OTEL_EXPORTER_OTLP_ENDPOINT", traces.endpoint(), "OTEL_BSP_SCHEDULE_DELAY", "200"));
    api = farm.gatewayUrl();
    studioKey = farm.credentials().issue("it-studio", ApiKeys.Role.STUDIO);
  }

  @AfterAll
  static void stopFarm() throws Exception {
    Files.writeString(Path.of("target", "api-transcript.md"), TRANSCRIPT);
    if (farm != null) {
      farm.close();
    }
    if (traces != null) {
      traces.close();
    }
  }

  /** A batch of six, watched to the end through its event stream, paged, downloaded, and resubmitted. */
  @Test
  void aBatchOfSixRunsToCompletionAndItsIdempotencyKeyReturnsIt() throws Exception {
    StringBuilder jobs = new StringBuilder();
    String[] prompts = {"a red ball", "a blue box drifting left", "a green triangle", "a white circle moving up",
        "a yellow square", "a purple ball moving right"};
    for (int i = 0; i < prompts.length; i++) {
      jobs.append(i == 0 ? "" : ", ").append("{\"prompt\": \"").append(prompts[i]).append("\", \"seed\": ").append(i)
          .append("}");
    }
    String body = "{\"defaults\": {" + SMALL + "}, \"jobs\": [" + jobs + "]}";

    Reply created = post("/v1/batches", body, "application/json", "batch-six-1");
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    String batchId = created.json().path("batch").path("id").asText();
    assertThat(created.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/v1/batches/" + batchId));
    assertThat(created.json().path("batch").path("total").asInt()).isEqualTo(6);
    List<String> jobIds = texts(created.json().path("jobIds"));
    assertThat(jobIds).hasSize(6).allMatch(id -> id.startsWith(batchId + "-"));

    List<Sse> stream = events("/v1/batches/" + batchId + "/events");

    Sse last = stream.get(stream.size() - 1);
    assertThat(stream.get(0).name()).isEqualTo("batch");
    assertThat(last.name()).isEqualTo("batch");
    assertThat(last.data().path("succeeded").asInt()).isEqualTo(6);
    assertThat(last.data().path("done").asInt()).isEqualTo(6);
    assertThat(stream).extracting(Sse::name).contains("succeeded");

    JsonNode batch = get("/v1/batches/" + batchId).json();
    assertThat(batch.path("total").asInt()).isEqualTo(6);
    assertThat(batch.path("succeeded").asInt()).isEqualTo(6);
    assertThat(batch.path("idempotencyKey").asText()).isEqualTo("batch-six-1");

    JsonNode page1 = get("/v1/batches/" + batchId + "/jobs?limit=4").json();
    assertThat(texts(page1.path("jobs"), "id")).containsExactlyElementsOf(jobIds.subList(0, 4));
    JsonNode page2 = get(page1.path("next").asText()).json();
    assertThat(texts(page2.path("jobs"), "id")).containsExactlyElementsOf(jobIds.subList(4, 6));
    assertThat(page2.has("next")).isFalse();

    JsonNode job = get("/v1/jobs/" + jobIds.get(1)).json();
    assertThat(job.path("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(job.path("progress").asDouble()).isEqualTo(1.0);
    assertThat(job.path("prompt").asText()).isEqualTo(prompts[1]);
    assertThat(job.path("rewrittenPrompt").asText()).containsIgnoringCase(prompts[1]).isNotEqualTo(prompts[1]);
    assertThat(job.path("spec").path("seed").asLong()).isEqualTo(1);
    assertThat(texts(job.path("stages"), "stage"))
        .containsExactly("REWRITE", "ENCODE", "DENOISE", "DECODE", "UPSAMPLE", "PUBLISH");
    Map<String, JsonNode> outputs = new LinkedHashMap<>();
    job.path("outputs").forEach(o -> outputs.put(o.path("name").asText(), o));
    assertThat(outputs).containsOnlyKeys("video", "poster", "manifest");
    JsonNode video = outputs.get("video");
    byte[] mp4 = download(video.path("url").asText());
    assertThat(sha256(mp4)).isEqualTo(video.path("sha256").asText());
    Path file = Files.createDirectories(Path.of("target", "it-downloads")).resolve(jobIds.get(1) + ".mp4");
    assertThat(Mp4Reader.probe(Files.write(file, mp4)).frames()).isEqualTo(5);

    Reply again = post("/v1/batches", body, "application/json", "batch-six-1");
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().path("batch").path("id").asText()).isEqualTo(batchId);
    assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(texts(again.json().path("jobIds"))).isEqualTo(jobIds);
    assertThat(farm.events(jobIds.get(0)).stream().filter(e -> e.getType() == StageEventType.QUEUED))
        .as("the repeated request queued nothing").hasSize(1);

    Reply reused = post("/v1/batches", body.replace("a red ball", "a red cube"), "application/json", "batch-six-1");
    assertThat(reused.status()).isEqualTo(422);
    assertThat(reused.json().path("reason").asText()).contains("different request");
  }

  /**
   * The operator's view of one render (issue 22, items 1 and 3): every series the Grafana dashboard queries is
   * exported by the services that ran it, with the counts the render implies; and each stage logs the task's
   * outcome as a JSON line that carries its job, batch, attempt, stage and worker.
   */
  @Test
  void aRenderShowsInEveryDashboardQueryAndInTheStagesJsonLogs() throws Exception {
    String body = "{\"defaults\": {" + SMALL + "}, \"jobs\": [{\"prompt\": \"a teal ball\", \"seed\": 22}]}";
    Reply created = post("/v1/batches", body, "application/json", null);
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    String batchId = created.json().path("batch").path("id").asText();
    String jobId = created.json().path("jobIds").get(0).asText();
    List<Sse> stream = events("/v1/batches/" + batchId + "/events");
    assertThat(stream.get(stream.size() - 1).data().path("succeeded").asInt()).isEqualTo(1);

    List<PrometheusQueries.Sample> samples = new ArrayList<>();
    for (ServiceProcess service : farm.services()) {
      HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(URI.create(service.baseUrl() + "/q/metrics"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).as(service + " /q/metrics").isEqualTo(200);
      samples.addAll(PrometheusQueries.samples(metrics.body()));
    }
    JsonNode dashboard = JSON.readTree(Files.readString(GrafanaDashboardTest.DASHBOARD));
    List<String> queries = new ArrayList<>(PrometheusQueries.expressions(dashboard));
    // And what KEDA scales the stages on in Kubernetes (infra/k8s/base/autoscaling.yaml).
    for (Object scaled : new Yaml().loadAll(
        Files.readString(KubernetesManifestsTest.K8S.resolve("base").resolve("autoscaling.yaml")))) {
      JSON.valueToTree(scaled).path("spec").path("triggers").forEach(t -> queries.add(t.path("metadata")
          .path("query").asText()));
    }
    assertThat(queries).hasSizeGreaterThan(PrometheusQueries.expressions(dashboard).size());
    for (String query : queries) {
      for (PrometheusQueries.Selector selector : PrometheusQueries.selectors(query)) {
        assertThat(samples).as("a series for %s (in %s)", selector, query).anyMatch(selector::matches);
      }
    }
    for (String stage : Stages.PIPELINE.stream().map(Stages::id).toList()) {
      assertThat(sum(samples, "flowreel_stage_tasks_total", "stage", stage, "outcome", "succeeded"))
          .as("%s tasks succeeded", stage).isGreaterThanOrEqualTo(1);
      assertThat(sum(samples, "flowreel_stage_handover_seconds_count", "stage", stage)).isGreaterThanOrEqualTo(1);
      assertThat(sum(samples, "flowreel_scheduler_workers", "stage", stage)).as("%s workers", stage).isEqualTo(1);
    }
    for (String stage : List.of("encode", "denoise", "decode", "upsample", "publish")) {
      assertThat(sum(samples, "flowreel_storage_bytes_total", "stage", stage, "direction", "written"))
          .as("%s wrote to S3", stage).isPositive();
    }
    assertThat(sum(samples, "flowreel_stage_step_duration_seconds_count", "stage", "denoise"))
        .as("denoise steps timed").isGreaterThanOrEqualTo(4);
    assertThat(sum(samples, "http_server_requests_seconds_bucket", "uri", "/v1/batches", "method", "POST",
        "status", "201", "le", "+Inf")).isGreaterThanOrEqualTo(1);
    assertThat(sum(samples, "flowreel_tracker_events_folded_total")).isPositive();

    ServiceProcess denoiser = farm.running(Stage.DENOISE).get(0);
    List<JsonNode> lines = new ArrayList<>();
    try (Stream<String> log = Files.lines(denoiser.log())) {
      for (String line : (Iterable<String>) log::iterator) {
        if (line.startsWith("{")) {
          lines.add(JSON.readTree(line));
        }
      }
    }
    assertThat(lines).as("JSON lines in " + denoiser.log()).isNotEmpty();
    JsonNode outcome = lines.stream().filter(l -> jobId.equals(l.path("mdc").path("jobId").asText())
        && l.path("message").asText().contains("succeeded")).findFirst()
        .orElseThrow(() -> new AssertionError("no JSON line of job " + jobId + "'s outcome in " + denoiser.log()));
    assertThat(outcome.path("mdc").path("batchId").asText()).isEqualTo(batchId);
    assertThat(outcome.path("mdc").path("stage").asText()).isEqualTo("denoise");
    assertThat(outcome.path("mdc").path("attempt").asText()).isEqualTo("1");
    assertThat(outcome.path("mdc").path("worker").asText()).isEqualTo(denoiser.instanceId());
  }

  /**
   * Issue 22 item 2: one job is one trace. The gateway's span of its submission is the root; each of the six
   * stages' task spans is its child, in pipeline order, one after the other; the S3 reads and writes and the
   * network calls are spans inside the task that made them.
   */
  @Test
  void oneJobIsOneTraceFromItsSubmissionThroughEveryStageInOrder() throws Exception {
    String body = "{\"defaults\": {" + SMALL + "}, \"jobs\": [{\"prompt\": \"a traced box\", \"seed\": 2}]}";
    Reply created = post("/v1/batches", body, "application/json", null);
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    String jobId = created.json().path("jobIds").get(0).asText();
    String batchId = created.json().path("batch").path("id").asText();
    List<Sse> stream = events("/v1/batches/" + batchId + "/events");
    assertThat(stream.get(stream.size() - 1).data().path("succeeded").asInt()).isEqualTo(1);

    List<String> stages = Stages.PIPELINE.stream().map(Stages::id).toList();
    OtlpReceiver.ReceivedSpan submit = await().atMost(Duration.ofSeconds(30)).until(() -> traces.spans().stream()
        .filter(s -> s.name().equals("submit job") && jobId.equals(s.attributes().get("flowreel.job.id")))
        .findFirst().orElse(null), Objects::nonNull);
    assertThat(submit.service()).isEqualTo("flowreel-gateway");
    assertThat(submit.parentSpanId()).as("a root: one trace per job").isEmpty();
    String trace = submit.traceId();
    // Each stage's span is sent when its task ends; the publisher's last.
    List<OtlpReceiver.ReceivedSpan> tasks = await().atMost(Duration.ofSeconds(30)).until(() -> traces.spans().stream()
        .filter(s -> s.traceId().equals(trace) && s.name().endsWith(" task"))
        .sorted(Comparator.comparingLong(OtlpReceiver.ReceivedSpan::startNanos)).toList(),
        found -> found.size() >= stages.size());
    assertThat(tasks).extracting(s -> s.attributes().get("flowreel.stage")).containsExactlyElementsOf(stages);
    assertThat(tasks).extracting(OtlpReceiver.ReceivedSpan::service)
        .containsExactlyElementsOf(stages.stream().map(stage -> "flowreel-" + stage).toList());
    assertThat(tasks).allSatisfy(task -> {
      assertThat(task.parentSpanId()).isEqualTo(submit.spanId());
      assertThat(task.attributes()).containsEntry("flowreel.job.id", jobId).containsEntry("flowreel.outcome",
          "succeeded");
    });
    for (int i = 1; i < tasks.size(); i++) {
      assertThat(tasks.get(i).startNanos()).as("%s starts after %s ended", stages.get(i), stages.get(i - 1))
          .isGreaterThanOrEqualTo(tasks.get(i - 1).endNanos());
    }
    Map<String, String> taskSpanByStage = new LinkedHashMap<>();
    tasks.forEach(t -> taskSpanByStage.put(t.attributes().get("flowreel.stage"), t.spanId()));
    List<OtlpReceiver.ReceivedSpan> inTrace = traces.spans().stream().filter(s -> s.traceId().equals(trace)).toList();
    assertThat(inTrace).as("the denoiser's DiT calls, one per step at least")
        .filteredOn(s -> s.name().startsWith("network ") && s.parentSpanId().equals(taskSpanByStage.get("denoise")))
        .hasSizeGreaterThanOrEqualTo(4);
    assertThat(inTrace).as("the denoiser reads the conditioning").anyMatch(s -> s.name().equals("s3 get")
        && s.parentSpanId().equals(taskSpanByStage.get("denoise")));
    assertThat(inTrace).as("the publisher writes the MP4").anyMatch(s -> s.name().equals("s3 put")
        && s.parentSpanId().equals(taskSpanByStage.get("publish")) && s.attributes().get("flowreel.s3.key")
        .endsWith(".mp4"));
    // The context also rides in the records' headers, as OpenTelemetry's Kafka instrumentation reads it: on the
    // task each stage took (the scheduler puts it back when it admits a task) and on every event of the job.
    for (Stage stage : Stage.values()) {
      if (stage == Stage.UNKNOWN) {
        continue;
      }
      assertThat(farm.readCommitted(Topics.tasks(stage).name()).stream()
          .filter(r -> jobId.equals(r.key())).map(r -> TraceHeaders.read(r.headers())))
          .as("the %s task's traceparent header", stage).singleElement()
          .satisfies(header -> assertThat(header).hasValueSatisfying(v -> assertThat(v).contains(trace)));
    }
    assertThat(farm.readCommitted(Topics.EVENTS.name()).stream()
        .filter(r -> jobId.equals(r.key())).map(r -> TraceHeaders.read(r.headers())))
        .hasSizeGreaterThanOrEqualTo(13).allSatisfy(header -> assertThat(header).hasValueSatisfying(v ->
            assertThat(v).contains(trace)));
  }

  /**
   * Issue 22 item 5: the dashboard in a real headless browser (Debian's chromium and chromium-driver). A batch
   * submitted through the API shows on the page; three jobs are watched to the end, their posters loaded; the long
   * one is watched denoising, with each stage's backlog and workers, and cancelled with its button on the page.
   * The screenshot is target/dashboard.png (README shows one).
   */
  @Test
  void theDashboardFollowsABatchToItsEndAndCancelsAJobFromThePage() throws Exception {
    String body = "{\"defaults\": {" + SMALL + "}, \"jobs\": [{\"prompt\": \"a red ball moving right\", "
        + "\"seed\": 11}, {\"prompt\": \"a blue box drifting left\", \"seed\": 12}, {\"prompt\": \"a green "
        + "triangle moving up\", \"seed\": 13}, {\"prompt\": \"a long one\", \"width\": 512, \"height\": 512, "
        + "\"frames\": 17, \"steps\": 200}]}";
    Reply created = post("/v1/batches", body, "application/json", null);
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    String batchId = created.json().path("batch").path("id").asText();
    List<String> jobIds = texts(created.json().path("jobIds"));
    String longJob = jobIds.get(3);

    System.setProperty("webdriver.chrome.driver", "/usr/bin/chromedriver");
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000");
    WebDriver browser = new ChromeDriver(options);
    try {
      browser.get(api + "/dashboard/");
      browser.findElement(By.id("key")).sendKeys(studioKey, Keys.ENTER);
      // The page redraws its tables every second: an element found may be replaced before it is used.
      FluentWait<WebDriver> page = new WebDriverWait(browser, JOB_TIMEOUT)
          .ignoring(StaleElementReferenceException.class);
      page.until(d -> {
        d.findElement(By.cssSelector("tr[data-batch='" + batchId + "']")).click();
        return true;
      });
      for (String job : jobIds.subList(0, 3)) {
        page.until(d -> text(d, ".job[data-job='" + job + "'] .state").equals("SUCCEEDED")
            && Boolean.TRUE.equals(((JavascriptExecutor) d).executeScript("const img = document.querySelector("
            + "\".job[data-job='" + job + "'] img\"); return img != null && img.complete && img.naturalWidth > 0;")));
      }
      page.until(d -> text(d, ".job[data-job='" + longJob + "'] .where").startsWith("denoise step"));
      page.until(d -> text(d, "tr[data-stage='denoise'] td:nth-child(4)").equals("1")
          && text(d, "tr[data-stage='denoise'] td:nth-child(3)").equals("1"));
      page.until(d -> {
        d.findElement(By.cssSelector(".job[data-job='" + longJob + "'] button[data-job-action='cancel']")).click();
        return true;
      });
      page.until(d -> text(d, ".job[data-job='" + longJob + "'] .state").equals("CANCELLED"));
      assertThat(get("/v1/jobs/" + longJob).json().path("state").asText()).isEqualTo("CANCELLED");
      page.until(d -> text(d, "tr[data-batch='" + batchId + "'] td:nth-child(9)").equals("4 of 4 done"));
      Files.write(Path.of("target", "dashboard.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    } catch (TimeoutException e) {
      Files.write(Path.of("target", "dashboard-failed.png"),
          ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
      throw new AssertionError("the page did not get there; its status line: '" + text(browser, "#status")
          + "' (target/dashboard-failed.png)", e);
    } finally {
      browser.quit();
    }
  }

  private static String text(WebDriver browser, String css) {
    List<WebElement> found = browser.findElements(By.cssSelector(css));
    return found.isEmpty() ? "" : found.get(0).getText().trim();
  }

  /** The sum of the samples of {@code metric} with the given label values ({@code name, value, ...}). */
  private static double sum(List<PrometheusQueries.Sample> samples, String metric, String... labels) {
    Map<String, String> pinned = new LinkedHashMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      pinned.put(labels[i], labels[i + 1]);
    }
    return PrometheusQueries.sum(samples, new PrometheusQueries.Selector(metric, pinned));
  }

  /**
   * One job cancelled while denoising; another fails on a corrupt stored input, is retried from the
   * stage that failed once the input is repaired, and completes without re-running earlier stages.
   */
  @Test
  void aJobIsCancelledMidFlightAndAFailedJobIsRetriedFromItsFailedStage() throws Exception {
    // Job 0 holds the only denoiser (the largest latent, 200 steps) while job 1 waits for it.
    String body = "{\"prompt\": \"a long render\", \"width\": 512, \"height\": 512, \"frames\": 17, \"steps\": 200}\n"
        + "{\"prompt\": \"a green box moving down\", " + SMALL + "}\n";
    Reply created = post("/v1/batches", body, "application/x-ndjson", null);
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    List<String> jobIds = texts(created.json().path("jobIds"));
    String longJob = jobIds.get(0);
    String victim = jobIds.get(1);

    await().atMost(JOB_TIMEOUT).until(() -> get("/v1/jobs/" + longJob).json().path("stages"),
        stages -> stepOf(stages, "DENOISE") >= 1);
    await().atMost(JOB_TIMEOUT).until(() -> stateOf(get("/v1/jobs/" + victim).json().path("stages"), "ENCODE"),
        "SUCCEEDED"::equals);
    String conditioning = ArtifactKeys.key(victim, 1, "encode", "conditioning", Artifact.Format.SAFETENSORS);
    byte[] original = farm.getObject(RenderFarm.WORK_BUCKET, conditioning);
    byte[] corrupt = original.clone();
    corrupt[corrupt.length - 1] ^= 0x5a;
    farm.putObject(RenderFarm.WORK_BUCKET, conditioning, corrupt);

    Reply cancel = post("/v1/jobs/" + longJob + "/cancel", "", "application/json", null);
    assertThat(cancel.status()).as(cancel.text()).isEqualTo(202);
    JsonNode cancelled = await().atMost(JOB_TIMEOUT).until(() -> get("/v1/jobs/" + longJob).json(),
        j -> j.path("state").asText().equals("CANCELLED"));
    assertThat(stateOf(cancelled.path("stages"), "DENOISE")).isEqualTo("CANCELLED");
    assertThat(stepOf(cancelled.path("stages"), "DENOISE")).isLessThan(200);

    JsonNode failed = await().atMost(JOB_TIMEOUT).until(() -> get("/v1/jobs/" + victim).json(),
        j -> j.path("state").asText().equals("FAILED"));
    assertThat(failed.path("error").asText()).startsWith("DENOISE: ").contains("sha256");
    assertThat(post("/v1/jobs/" + longJob + "/cancel", "", "application/json", null).status())
        .as("a finished job cannot be cancelled").isEqualTo(409);

    farm.putObject(RenderFarm.WORK_BUCKET, conditioning, original); // the operator repairs storage
    Reply retry = post("/v1/jobs/" + victim + "/retry", "", "application/json", null);
    assertThat(retry.status()).as(retry.text()).isEqualTo(202);
    assertThat(retry.json().path("attempt").asInt()).isEqualTo(2);
    assertThat(retry.json().path("state").asText()).isIn("QUEUED", "RUNNING", "SUCCEEDED");

    List<Sse> stream = events("/v1/jobs/" + victim + "/events");
    Sse end = stream.get(stream.size() - 1);
    assertThat(end.name()).isEqualTo("status");
    assertThat(end.data().path("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(stream.stream().filter(e -> e.data().has("stage") && e.data().has("type")))
        .allSatisfy(e -> assertThat(e.data().path("stage").asText()).isIn("DENOISE", "DECODE", "UPSAMPLE", "PUBLISH"));

    JsonNode done = get("/v1/jobs/" + victim).json();
    Map<String, Integer> attempts = new LinkedHashMap<>();
    done.path("stages").forEach(s -> attempts.put(s.path("stage").asText(), s.path("attempt").asInt()));
    assertThat(attempts).containsExactly(Map.entry("REWRITE", 1), Map.entry("ENCODE", 1), Map.entry("DENOISE", 2),
        Map.entry("DECODE", 2), Map.entry("UPSAMPLE", 2), Map.entry("PUBLISH", 2));
    List<Stage> startedInAttempt2 = farm.events(victim).stream()
        .filter(e -> e.getAttempt() == 2 && e.getType() == StageEventType.STARTED).map(StageEvent::getStage).toList();
    assertThat(startedInAttempt2).as("earlier stages did not run again")
        .containsExactly(Stage.DENOISE, Stage.DECODE, Stage.UPSAMPLE, Stage.PUBLISH);

    // Batch counts trail job status by the tracker's repartition step (well under a second).
    String batchPath = "/v1/batches/" + created.json().path("batch").path("id").asText();
    JsonNode batch = await().atMost(Duration.ofSeconds(10)).until(() -> get(batchPath).json(),
        b -> b.path("succeeded").asInt() == 1);
    assertThat(batch.path("cancelled").asInt()).isEqualTo(1);
    assertThat(batch.path("succeeded").asInt()).isEqualTo(1);
    assertThat(batch.path("done").asInt()).isEqualTo(2);
  }

  /**
   * Two studios on one farm: the second can neither see nor touch the first's batch and jobs on any
   * route (404, as for ids that do not exist), its Idempotency-Key names another batch, and the
   * first's batch runs to the end untouched; without a key nothing is answered but 401.
   */
  @Test
  void anotherStudioCanNeitherSeeNorTouchABatch() throws Exception {
    String otherKey = farm.credentials().issue("other-studio", ApiKeys.Role.STUDIO);
    String body = "[{\"prompt\": \"a red ball\", " + SMALL + "}]";
    Reply mine = post("/v1/batches", body, "application/json", "shared-key-1");
    assertThat(mine.status()).as(mine.text()).isEqualTo(201);
    String batchId = mine.json().path("batch").path("id").asText();
    String jobId = texts(mine.json().path("jobIds")).get(0);

    Reply theirs = send(otherKey, "POST", "/v1/batches", body, "shared-key-1");
    assertThat(theirs.status()).as(theirs.text()).isEqualTo(201);
    assertThat(theirs.json().path("batch").path("id").asText()).isNotEqualTo(batchId);
    assertThat(theirs.json().path("batch").path("tenant").asText()).isEqualTo("other-studio");

    for (String[] route : new String[][] {{"GET", "/v1/batches/" + batchId}, {"GET", "/v1/batches/" + batchId
        + "/jobs"}, {"GET", "/v1/batches/" + batchId + "/events"}, {"POST", "/v1/batches/" + batchId + "/cancel"},
        {"POST", "/v1/batches/" + batchId + "/retry"}, {"GET", "/v1/jobs/" + jobId}, {"GET", "/v1/jobs/" + jobId
        + "/events"}, {"GET", "/v1/jobs/" + jobId + "/outputs/video"}, {"POST", "/v1/jobs/" + jobId + "/cancel"},
        {"POST", "/v1/jobs/" + jobId + "/retry"}}) {
      Reply refused = send(otherKey, route[0], route[1], null, null);
      assertThat(refused.status()).as(route[0] + " " + route[1] + ": " + refused.text()).isEqualTo(404);
      assertThat(refused.json().path("reason").asText()).isIn("no batch " + batchId, "no job " + jobId);
    }
    Reply anonymous = send(null, "GET", "/v1/batches/" + batchId, null, null);
    assertThat(anonymous.status()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"flowreel\"");

    JsonNode done = await().atMost(JOB_TIMEOUT).until(() -> get("/v1/jobs/" + jobId).json(),
        j -> j.path("state").asText().equals("SUCCEEDED") || j.path("state").asText().equals("CANCELLED"));
    assertThat(done.path("state").asText()).as("the other studio's cancel did nothing").isEqualTo("SUCCEEDED");
    assertThat(done.path("attempt").asInt()).as("nor did its retry").isEqualTo(1);
  }

  /**
   * The embedded farm's HTTP ports (gateway, the tracker's query API, every stage) answer on
   * loopback only: from another address of this machine, as from the network, nothing connects.
   */
  @Test
  void everyServiceListensOnLoopbackOnly() throws Exception {
    InetAddress outside = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
        .filter(n -> !isLoopback(n)).flatMap(n -> Collections.list(n.getInetAddresses()).stream())
        .filter(a -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress()).findFirst().orElse(null);
    assumeTrue(outside != null, "this machine has no address but loopback");
    assertThat(farm.services()).hasSizeGreaterThanOrEqualTo(8);
    for (ServiceProcess service : farm.services()) {
      int port = URI.create(service.baseUrl()).getPort();
      try (Socket local = new Socket()) {
        local.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
      }
      assertThatThrownBy(() -> {
        try (Socket remote = new Socket()) {
          remote.connect(new InetSocketAddress(outside, port), 2000);
        }
      }).as(service.instanceId() + " on " + outside.getHostAddress() + ":" + port).isInstanceOf(IOException.class);
    }
  }

  private static boolean isLoopback(NetworkInterface n) {
    try {
      return n.isLoopback();
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  /** Bad requests are refused whole with a reason; nothing of them is queued. */
  @Test
  void badRequestsGetA4xxWithAReasonAndQueueNothing() throws Exception {
    Reply oneBad = post("/v1/batches", "[{\"prompt\": \"fine\", " + SMALL + "}, {\"prompt\": \"too wide\", "
        + "\"width\": 300, \"height\": 64, \"frames\": 5}]", "application/json", "bad-batch-1");
    assertThat(oneBad.status()).isEqualTo(400);
    assertThat(oneBad.text()).contains("jobs[1]").contains("300").contains("nothing was submitted");
    Reply fixed = post("/v1/batches", "[{\"prompt\": \"fine\", " + SMALL + "}]", "application/json", "bad-batch-1");
    assertThat(fixed.status()).as("the refused request recorded nothing under its key").isEqualTo(201);

    Reply malformed = post("/v1/batches", "{\"jobs\": [{\"prompt\": \"x\"", "application/json", null);
    assertThat(malformed.status()).isEqualTo(400);
    assertThat(malformed.json().path("reason").asText()).isNotBlank();

    Reply wrongType = post("/v1/batches", "a red ball", "text/plain", null);
    assertThat(wrongType.status()).isEqualTo(415);
    assertThat(wrongType.json().path("reason").asText()).contains("application/x-ndjson");

    Reply unknownPack = post("/v1/batches", "[{\"prompt\": \"x\", \"pack\": \"huge\"}]", "application/json", null);
    assertThat(unknownPack.status()).isEqualTo(400);
    assertThat(unknownPack.text()).contains("huge").contains("tiny");

    Reply noJob = get("/v1/jobs/b-000000000000000000000000-000000");
    assertThat(noJob.status()).isEqualTo(404);
    assertThat(noJob.json().path("reason").asText()).contains("no job");
    assertThat(post("/v1/jobs/nope/retry?from=denoise", "", "application/json", null).status()).isEqualTo(404);

    Reply openapi = get("/q/openapi");
    assertThat(openapi.status()).isEqualTo(200);
    assertThat(openapi.text()).contains("/v1/batches/{id}/jobs").contains("/v1/jobs/{id}/retry");
  }

  /**
   * 10,000 generated malformed requests (see {@link MalformedRequests}) on every route: none is
   * answered 5xx or left unanswered, most get past authentication to the resources, none submits a
   * batch, and the farm renders as before afterwards. {@code -Dflowreel.fuzz.seed} replays a run.
   */
  @Test
  void tenThousandMalformedRequestsGetNo5xxAndTheFarmStillRenders() throws Exception {
    GatewayClient studio = new GatewayClient(api, studioKey, Duration.ofSeconds(30));
    String jobId = renderOneSmallJob(studio, "before the malformed requests");
    long seed = Long.getLong("flowreel.fuzz.seed", 20261205L);
    int count = Integer.getInteger("flowreel.fuzz.requests", 10_000);
    MalformedRequests requests = new MalformedRequests(URI.create(api), studioKey,
        List.of(jobId, jobId.substring(0, jobId.lastIndexOf('-'))));

    Map<Integer, Integer> statuses = new ConcurrentSkipListMap<>();
    List<String> failures = Collections.synchronizedList(new ArrayList<>());
    ExecutorService senders = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> sent = new ArrayList<>();
      for (int n = 0; n < count; n++) {
        int number = n;
        sent.add(senders.submit(() -> {
          byte[] request = requests.request(seed, number);
          int status = requests.send(request, 15_000);
          statuses.merge(status, 1, Integer::sum);
          if (status >= 500 || status == -2 || status == 201) {
            failures.add("#" + number + " answered " + (status == -2 ? "nothing in 15 s" : status) + ":\n"
                + MalformedRequests.printable(request));
          }
          return null;
        }));
      }
      for (var future : sent) {
        future.get(2, TimeUnit.MINUTES);
      }
    } finally {
      senders.shutdownNow();
    }
    System.out.printf("%d malformed requests (seed %d), answers by status: %s%n", count, seed, statuses);

    assertThat(failures).as("requests answered 5xx, 201 or not at all (seed %d)", seed).isEmpty();
    int reachedResources = count - statuses.getOrDefault(401, 0) - statuses.getOrDefault(-1, 0);
    assertThat(reachedResources).as("answers past authentication: %s", statuses).isGreaterThan(count / 2);
    assertThat(statuses).containsKeys(400, 404);
    renderOneSmallJob(studio, "after the malformed requests");
  }

  /** Submits one small job, waits (bounded) until it succeeded, and returns its id. */
  private static String renderOneSmallJob(GatewayClient studio, String prompt) throws Exception {
    HttpResponse<String> created = studio.post("/v1/batches",
        "[{\"prompt\": \"" + prompt + "\", " + SMALL + "}]", null);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode answer = GatewayClient.json(created);
    String batchId = answer.path("batch").path("id").asText();
    await().atMost(JOB_TIMEOUT).pollInterval(Duration.ofMillis(250)).until(() -> studio.tryGetJson(
        "/v1/batches/" + batchId).map(b -> b.path("done").asInt() == 1).orElse(false));
    assertThat(studio.getJson("/v1/batches/" + batchId).path("succeeded").asInt()).isEqualTo(1);
    return answer.path("jobIds").get(0).asText();
  }

  // --- HTTP ---

  /** A studio pauses a batch, raises its priority, resumes it, then finds it in its lists (docs/api.md quotes it). */
  @Test
  void aStudioPausesRaisesAndResumesABatchThenListsItsWork() throws Exception {
    String body = "{\"defaults\": {" + SMALL + "}, \"jobs\": [{\"prompt\": \"a red ball\", \"seed\": 1}, "
        + "{\"prompt\": \"a blue box\", \"seed\": 2}, {\"prompt\": \"a green ball\", \"seed\": 3}]}";
    Reply created = post("/v1/batches", body, "application/json", "steered-1");
    String batchId = created.json().path("batch").path("id").asText();
    List<String> jobIds = texts(created.json().path("jobIds"));
    Reply paused = send(studioKey, "POST", "/v1/batches/" + batchId + "/pause", null, null);
    assertThat(paused.status()).as(paused.text()).isEqualTo(202);
    String last = jobIds.get(2);
    await().atMost(JOB_TIMEOUT).pollInterval(Duration.ofMillis(500))
        .until(() -> HTTP.send(authorized(HttpRequest.newBuilder(URI.create(api + "/v1/jobs/" + last)), studioKey)
            .GET().build(), HttpResponse.BodyHandlers.ofString()).body().contains("\"paused\":true"));
    Reply held = get("/v1/jobs/" + last);
    assertThat(held.json().path("paused").asBoolean()).isTrue();

    Reply raised = send(studioKey, "POST", "/v1/batches/" + batchId + "/priority", "{\"priority\": 7}", null);
    assertThat(raised.status()).as(raised.text()).isEqualTo(202);
    Reply resumed = send(studioKey, "POST", "/v1/batches/" + batchId + "/resume", null, null);
    assertThat(resumed.status()).as(resumed.text()).isEqualTo(202);
    await().atMost(JOB_TIMEOUT).pollInterval(Duration.ofMillis(500))
        .until(() -> HTTP.send(authorized(HttpRequest.newBuilder(URI.create(api + "/v1/batches/" + batchId)), studioKey)
            .GET().build(), HttpResponse.BodyHandlers.ofString()).body().contains("\"succeeded\":3"));
    JsonNode done = get("/v1/jobs/" + last).json();
    assertThat(done.path("paused").asBoolean()).isFalse();
    assertThat(done.path("spec").path("priority").asInt()).isEqualTo(7);

    Reply page1 = get("/v1/jobs?batch=" + batchId + "&state=succeeded&limit=2");
    assertThat(texts(page1.json().path("jobs"), "id")).containsExactlyElementsOf(jobIds.subList(0, 2));
    Reply page2 = get(page1.json().path("next").asText());
    assertThat(texts(page2.json().path("jobs"), "id")).containsExactly(jobIds.get(2));
    assertThat(page2.json().has("next")).isFalse();
    Reply newest = get("/v1/jobs?state=succeeded&limit=1");
    assertThat(texts(newest.json().path("jobs"), "id")).containsExactly(jobIds.get(2));
    Reply batches = get("/v1/batches?state=done&limit=1");
    assertThat(texts(batches.json().path("batches"), "id")).containsExactly(batchId);
    assertThat(get("/v1/usage").json().path("tenant").asText()).isEqualTo("it-studio");
    Reply letters = get("/v1/dead-letters?stage=denoise");
    assertThat(letters.status()).isEqualTo(200);
    assertThat(get("/v1/webhooks/secret").status()).as("no webhook secret on this farm").isEqualTo(404);
  }

  private record Reply(int status, String text, java.net.http.HttpHeaders headers) {
    JsonNode json() throws Exception {
      return JSON.readTree(text);
    }
  }

  private record Sse(String name, JsonNode data) {}

  private static Reply get(String path) throws Exception {
    HttpResponse<String> r = HTTP.send(authorized(HttpRequest.newBuilder(URI.create(api + path)), studioKey)
        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    return record("GET " + path, null, new Reply(r.statusCode(), r.body(), r.headers()));
  }

  /** A request as the holder of {@code key} (none if null), a JSON body if not null; in the transcript too. */
  private static Reply send(String key, String method, String path, String json, String idempotencyKey)
      throws Exception {
    HttpRequest.Builder request = authorized(HttpRequest.newBuilder(URI.create(api + path)), key)
        .timeout(Duration.ofSeconds(30))
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      request.header("Content-Type", "application/json");
    }
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    String shown = method + " " + path + (idempotencyKey != null ? "\nIdempotency-Key: " + idempotencyKey : "")
        + (key == null ? "" : "\nAuthorization: Bearer <" + (key.equals(studioKey) ? "it-studio" : "another studio")
        + "'s key>");
    return record(shown, json, new Reply(r.statusCode(), r.body(), r.headers()));
  }

  private static HttpRequest.Builder authorized(HttpRequest.Builder request, String key) {
    return key == null ? request : request.header("Authorization", "Bearer " + key);
  }

  private static synchronized Reply record(String request, String body, Reply reply) {
    TRANSCRIPT.append("\n```\n").append(request).append('\n');
    if (body != null && !body.isEmpty()) {
      TRANSCRIPT.append('\n').append(body.strip()).append('\n');
    }
    TRANSCRIPT.append("```\n\n```\n").append(reply.status()).append('\n');
    reply.headers().firstValue("Location").ifPresent(l -> TRANSCRIPT.append("Location: ").append(l).append('\n'));
    reply.headers().firstValue("Idempotent-Replayed")
        .ifPresent(v -> TRANSCRIPT.append("Idempotent-Replayed: ").append(v).append('\n'));
    try {
      TRANSCRIPT.append(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(reply.text())));
    } catch (Exception e) {
      TRANSCRIPT.append(reply.text().length() > 400 ? reply.text().substring(0, 400) + " ..." : reply.text());
    }
    TRANSCRIPT.append("\n```\n");
    return reply;
  }

  private static Reply post(String path, String body, String contentType, String idempotencyKey) throws Exception {
    HttpRequest.Builder request = authorized(HttpRequest.newBuilder(URI.create(api + path)), studioKey)
        .timeout(Duration.ofSeconds(60)).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    String shown = "POST " + path + "\nContent-Type: " + contentType
        + (idempotencyKey != null ? "\nIdempotency-Key: " + idempotencyKey : "")
        + "\nAuthorization: Bearer <it-studio's key>";
    return record(shown, body, new Reply(r.statusCode(), r.body(), r.headers()));
  }

  /** Reads a server-sent event stream until the server ends it (bounded by the job timeout). */
  private static List<Sse> events(String path) throws Exception {
    HttpRequest request = authorized(HttpRequest.newBuilder(URI.create(api + path)), studioKey)
        .header("Accept", "text/event-stream").GET().build();
    CompletableFuture<List<Sse>> read = HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofLines())
        .thenApply(response -> {
          assertThat(response.statusCode()).isEqualTo(200);
          List<Sse> events = new ArrayList<>();
          String name = "message";
          StringBuilder data = new StringBuilder();
          for (String line : (Iterable<String>) response.body()::iterator) {
            if (line.startsWith("event:")) {
              name = line.substring(6).trim();
            } else if (line.startsWith("data:")) {
              data.append(line.substring(5).trim());
            } else if (line.isEmpty() && data.length() > 0) {
              try {
                events.add(new Sse(name, JSON.readTree(data.toString())));
              } catch (Exception e) {
                throw new IllegalStateException("event data is not JSON: " + data, e);
              }
              name = "message";
              data.setLength(0);
            }
          }
          return events;
        });
    List<Sse> events = read.get(JOB_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    synchronized (GatewayIT.class) {
      TRANSCRIPT.append("\n```\nGET ").append(path).append("\nAccept: text/event-stream\n```\n\n```\n");
      events.forEach(e -> TRANSCRIPT.append("event: ").append(e.name()).append("\ndata: ").append(e.data())
          .append("\n\n"));
      TRANSCRIPT.append("```\n");
    }
    return events;
  }

  private static byte[] download(String url) throws Exception {
    HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).as("GET " + url + ": " + new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    return r.body();
  }

  // --- JSON ---

  private static List<String> texts(JsonNode array) {
    return stream(array).map(JsonNode::asText).toList();
  }

  private static List<String> texts(JsonNode array, String field) {
    return stream(array).map(n -> n.path(field).asText()).toList();
  }

  private static Stream<JsonNode> stream(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false);
  }

  private static JsonNode stage(JsonNode stages, String name) {
    return stream(stages).filter(s -> s.path("stage").asText().equals(name)).findFirst()
        .orElse(JSON.createObjectNode());
  }

  private static int stepOf(JsonNode stages, String name) {
    return stage(stages, name).path("step").asInt(0);
  }

  private static String stateOf(JsonNode stages, String name) {
    return stage(stages, name).path("state").asText("");
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
