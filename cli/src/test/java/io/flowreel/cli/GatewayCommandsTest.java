package io.flowreel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowreel.media.Mp4Reader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The operator's commands against a real farm: {@code flowreel up} in its own process (as a
 * person runs it in a terminal), then {@code submit}, {@code status}, {@code cancel} and
 * {@code retry} talking to its gateway; last, the whole farm killed with SIGKILL mid-batch and
 * started again on its data; then SIGTERM (what Ctrl-C sends) and nothing left running. One farm
 * for all of it: starting one costs about 25 s of the test suite.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayCommandsTest {

  private static final String SMALL = "\"width\": 64, \"height\": 64, \"frames\": 5, \"steps\": 3";
  private static final String FOUR_JOBS = """
      {"defaults": {"width": 64, "height": 64, "frames": 5, "steps": 3},
       "jobs": [{"prompt": "a red ball", "seed": 1}, {"prompt": "a blue box", "seed": 2},
                {"prompt": "a green triangle", "seed": 3}, {"prompt": "a yellow ball", "seed": 4}]}
      """;

  @TempDir static Path dir;

  private static UpProcess up;
  private static List<ProcessHandle> stack;
  private static String gateway;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeAll
  static void startUp() throws Exception {
    // The in-process commands remember their last batch there too, not in the checkout's .flowreel.
    System.setProperty("flowreel.state", dir.resolve("state").toString());
    up = UpProcess.start(dir.resolve("state"), "--scale", "decoder=2");
    gateway = up.gateway();
    stack = up.process().descendants().toList();
  }

  @AfterAll
  static void stopUp() throws Exception {
    System.clearProperty("flowreel.state");
    if (up == null) {
      return;
    }
    up.process().destroy(); // SIGTERM, as Ctrl-C's shutdown does
    assertThat(up.process().waitFor(90, TimeUnit.SECONDS)).as("flowreel up stopped").isTrue();
    assertThat(stack).as("the broker, the S3 server and nine services").hasSizeGreaterThanOrEqualTo(11);
    await().atMost(Duration.ofSeconds(30)).until(() -> stack.stream().noneMatch(ProcessHandle::isAlive));
    assertThat(dir.resolve("state").resolve("gateway")).doesNotExist();
    assertThat(dir.resolve("state").resolve(UpCommand.PID_FILE)).doesNotExist();
    // Stopped, not deleted: the next 'up' resumes from the broker's log, the objects and the tracker's state.
    assertThat(dir.resolve("state/up/kafka")).isDirectory();
    assertThat(dir.resolve("state/up/s3")).isDirectory();
  }

  private int run(String... args) {
    CommandLine cli = FlowreelCli.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    String[] withGateway = new String[args.length + 2];
    System.arraycopy(args, 0, withGateway, 0, args.length);
    withGateway[args.length] = "--gateway";
    withGateway[args.length + 1] = gateway;
    return cli.execute(withGateway);
  }

  /**
   * A crash of the whole machine loses no queued work: {@code up} and every process under it are
   * killed at once in the middle of a batch, {@code up} starts again on the same data folder, and
   * every job finishes, each published once, by its first attempt. Last, since it replaces the farm.
   */
  @Test
  @Order(Integer.MAX_VALUE)
  void killNineOfTheWholeFarmMidBatchThenUpAgainFinishesEveryJobOnce() throws Exception {
    GatewayClient client = new GatewayClient(gateway, up.apiKey());
    JsonNode submitted = client.submit(FOUR_JOBS.getBytes(StandardCharsets.UTF_8), "application/json", null);
    List<String> jobs = new ArrayList<>();
    submitted.path("jobIds").forEach(id -> jobs.add(id.asText()));
    assertThat(jobs).hasSize(4);
    // Mid-batch: some job is at work, none has to be done yet.
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
        .until(() -> jobs.stream().anyMatch(id -> state(client, id).equals("RUNNING")));

    List<ProcessHandle> killed = up.killTree();
    await().atMost(Duration.ofSeconds(30)).until(() -> killed.stream().noneMatch(ProcessHandle::isAlive));

    up = UpProcess.start(dir.resolve("state"));
    System.out.println("the second flowreel up printed:\n" + up.output()); // a hanging transaction it repaired, say
    gateway = up.gateway();
    stack = up.process().descendants().toList();
    GatewayClient again = new GatewayClient(gateway, up.apiKey());
    // The tasks the killed workers held are handed out again by the restarted broker.
    await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1))
        .until(() -> jobs.stream().allMatch(id -> state(again, id).equals("SUCCEEDED")));
    // Exactly once across the crash: the batch counts are exact (a transaction the broker left hanging is
    // closed as its coordinator decided, not aborted after the tracker's offsets were committed).
    String batchId = submitted.path("batch").path("id").asText();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      JsonNode batch = again.batch(batchId);
      assertThat(batch.path("succeeded").asInt()).as(batch.toString()).isEqualTo(4);
      assertThat(batch.path("queued").asInt() + batch.path("running").asInt() + batch.path("failed").asInt()
          + batch.path("cancelled").asInt()).as(batch.toString()).isZero();
    });
    for (String id : jobs) {
      JsonNode job = again.job(id);
      assertThat(job.path("attempt").asInt()).as(id).isEqualTo(1);
      List<String> outputs = new ArrayList<>();
      job.path("outputs").forEach(o -> outputs.add(o.path("name").asText()));
      assertThat(outputs).as(id + ": published once").containsExactlyInAnyOrder("video", "poster", "manifest");
    }
  }

  private static String state(GatewayClient client, String id) {
    try {
      return client.job(id).path("state").asText();
    } catch (GatewayClient.GatewayException e) {
      return "UNREACHABLE: " + e.getMessage();
    }
  }

  @Test
  void upShowsEachServerAndServiceAsItBecomesReady() {
    assertThat(up.output()).containsPattern("flowreel up: [0-9.]+ s: Kafka broker and S3 server ready");
    for (String service : io.flowreel.infra.LocalStack.ALL_SERVICES) {
      assertThat(up.output()).as(service).containsPattern("flowreel up: [0-9.]+ s: " + service + "-1 ready");
    }
  }

  /**
   * A stage scales on the running farm. Scaled to zero while its only worker denoises a job, the job waits, neither
   * failed nor lost (no worker can take it), and finishes once the stage has a worker again.
   */
  @Test
  void aStageScalesOnTheRunningFarmAndAStoppedWorkersTaskIsNotLost() throws Exception {
    assertThat(up.output()).as("up --scale decoder=2").contains("decoder-2 ready");
    CliRun scale = new CliRun();
    assertThat(scale.run("scale", "denoise", "2")).as(scale.err.toString()).isZero();
    assertThat(scale.out.toString()).contains("denoiser: 2 instances");
    assertThat(dir.resolve("state/up/logs/denoiser-2.log")).exists();
    assertThat(scale.run("scale", "denoiser", "1")).as(scale.err.toString()).isZero();
    await().atMost(Duration.ofSeconds(10)).until(() -> up.output().contains("denoiser-2 stopped"));

    GatewayClient client = new GatewayClient(gateway, up.apiKey());
    JsonNode submitted = client.submit(("[{\"prompt\": \"a slow ball\", \"width\": 512, \"height\": 512, "
        + "\"frames\": 17, \"steps\": 20}]").getBytes(StandardCharsets.UTF_8), "application/json", null);
    String job = submitted.path("jobIds").get(0).asText();
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
        .until(() -> client.job(job).path("stage").asText().equals("DENOISE")
            && client.job(job).path("progress").asDouble() > 0);
    assertThat(scale.run("scale", "denoiser", "0")).as(scale.err.toString()).isZero();
    assertThat(up.process().descendants().filter(p -> p.info().commandLine().orElse("").contains("services/denoiser/")))
        .as("no denoiser runs").isEmpty();
    JsonNode waiting = client.job(job);
    assertThat(waiting.path("state").asText()).as(waiting.toString()).isIn("RUNNING", "QUEUED");

    assertThat(scale.run("scale", "denoiser", "1")).as(scale.err.toString()).isZero();
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
        .until(() -> !state(client, job).equals("RUNNING") && !state(client, job).equals("QUEUED"));
    assertThat(client.job(job).path("state").asText()).as(client.job(job).toString()).isEqualTo("SUCCEEDED");

    assertThat(scale.run("scale", "gateway", "2")).isEqualTo(2);
    assertThat(scale.err.toString()).contains("is not a stage");
  }

  @Test
  void aServiceThatDiesIsRestarted() {
    ProcessHandle decoder = up.process().descendants()
        .filter(p -> p.info().commandLine().orElse("").contains("services/decoder/")).findFirst().orElseThrow();
    decoder.destroyForcibly();
    await().atMost(Duration.ofSeconds(60)).until(() -> up.output().contains("restarted decoder-1"));
    assertThat(up.process().descendants().filter(ProcessHandle::isAlive)
        .filter(p -> p.info().commandLine().orElse("").contains("services/decoder/")))
        .as("a new decoder").isNotEmpty().noneMatch(p -> p.pid() == decoder.pid());
  }

  @Test
  void upWroteWhereItsGatewayIs() throws Exception {
    assertThat(Files.readString(dir.resolve("state").resolve("gateway")).trim()).isEqualTo(gateway);
  }

  @Test
  void submitWaitsAndDownloadsThenStatusAndRetryFollowTheJob() throws Exception {
    Path jobs = dir.resolve("jobs.jsonl");
    Files.writeString(jobs, "{\"defaults\": {" + SMALL + "}}\n{\"prompt\": \"a red ball\", \"seed\": 1}\n"
        + "{\"prompt\": \"a blue box\", \"seed\": 2}\n");
    Path clips = dir.resolve("clips");

    int code = run("submit", jobs.toString(), "--wait", "--out", clips.toString());

    assertThat(code).as(out + "\n" + err).isZero();
    Matcher batch = Pattern.compile("batch (b-[0-9a-f]{24}): 2 jobs").matcher(out.toString());
    assertThat(batch.find()).as(out.toString()).isTrue();
    String batchId = batch.group(1);
    assertThat(out.toString()).contains("2 of 2 succeeded");
    String job = batchId + "-000001";
    assertThat(Mp4Reader.probe(clips.resolve(job + ".mp4")).frames()).isEqualTo(5);
    assertThat(clips.resolve(job + ".png")).exists();
    assertThat(clips.resolve(job + ".json")).exists();

    out.getBuffer().setLength(0);
    assertThat(run("status", batchId)).isZero();
    assertThat(out.toString()).contains("2 jobs").contains("2 succeeded").contains(job + "  SUCCEEDED");

    out.getBuffer().setLength(0);
    assertThat(run("retry", job, "--from", "decode")).as(err.toString()).isZero();
    assertThat(out.toString()).contains("attempt 2");
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> {
      out.getBuffer().setLength(0);
      return run("status", job) == 0 && out.toString().startsWith(job + "  SUCCEEDED")
          && out.toString().lines().findFirst().orElse("").endsWith("attempt 2");
    });
    assertThat(out.toString()).contains("DENOISE  attempt 1").contains("DECODE   attempt 2")
        .contains("video: http");

    err.getBuffer().setLength(0);
    assertThat(run("cancel", job)).isEqualTo(2);
    assertThat(err.toString()).contains("already finished");

    err.getBuffer().setLength(0);
    assertThat(run("retry", batchId)).isEqualTo(2);
    assertThat(err.toString()).contains("no failed job to retry");
  }

  @Test
  void aBatchCanBePausedReprioritisedAndResumed() throws Exception {
    Path jobs = dir.resolve("paused.json");
    Files.writeString(jobs, "{\"defaults\": {" + SMALL + "}, \"jobs\": [{\"prompt\": \"a held ball\", \"seed\": 1}, "
        + "{\"prompt\": \"a held box\", \"seed\": 2}]}");
    assertThat(run("submit", jobs.toString())).as(err.toString()).isZero();
    Matcher batch = Pattern.compile("batch (b-[0-9a-f]{24})").matcher(out.toString());
    assertThat(batch.find()).isTrue();
    String id = batch.group(1);

    out.getBuffer().setLength(0);
    assertThat(run("pause", id)).as(err.toString()).isZero();
    assertThat(out.toString()).startsWith("batch " + id + ": pausing its");
    // Held at the next stage it waits for: the scheduler tells the tracker, and status shows it.
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
      out.getBuffer().setLength(0);
      return run("status", id) == 0 && out.toString().lines().filter(line -> line.endsWith("paused")).count() == 2;
    });
    assertThat(run("priority", id, "9")).as(err.toString()).isZero();
    assertThat(run("resume", id)).as(err.toString()).isZero();
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
      out.getBuffer().setLength(0);
      return run("status", id) == 0 && out.toString().contains("2 succeeded");
    });
    assertThat(out.toString()).doesNotContain("paused");

    err.getBuffer().setLength(0);
    assertThat(run("priority", id, "10")).isEqualTo(2);
    assertThat(err.toString()).contains("from 0 (lowest) to 9 (highest), not 10");

    out.getBuffer().setLength(0);
    assertThat(run("list", "--batch", id, "--state", "succeeded")).as(err.toString()).isZero();
    assertThat(out.toString().lines()).hasSize(2).allMatch(line -> line.startsWith(id + "-00000")
        && line.contains("SUCCEEDED"));
    out.getBuffer().setLength(0);
    assertThat(run("list", "--batches", "--limit", "1")).as(err.toString()).isZero();
    assertThat(out.toString()).as("the newest batch first").startsWith(id + "  ").contains("2 succeeded");
    out.getBuffer().setLength(0);
    assertThat(run("dead-letters", "--stage", "denoise")).as(err.toString()).isZero();
    assertThat(out.toString()).isEqualTo("no dead letters at denoise" + System.lineSeparator());
  }

  @Test
  void aBatchCanBeCancelledAndUnknownIdsAreRefused() throws Exception {
    Path jobs = dir.resolve("long.json");
    Files.writeString(jobs, "[{\"prompt\": \"a long one\", \"width\": 512, \"height\": 512, \"frames\": 17, "
        + "\"steps\": 200}]");
    assertThat(run("submit", jobs.toString())).as(err.toString()).isZero();
    Matcher batch = Pattern.compile("batch (b-[0-9a-f]{24})").matcher(out.toString());
    assertThat(batch.find()).isTrue();

    assertThat(run("cancel", batch.group(1))).as(err.toString()).isZero();
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> {
      out.getBuffer().setLength(0);
      return run("status", batch.group(1)) == 0 && out.toString().contains("1 cancelled");
    });

    assertThat(run("status", "b-000000000000000000000000")).isEqualTo(2);
    assertThat(err.toString()).contains("no batch");
  }
}
