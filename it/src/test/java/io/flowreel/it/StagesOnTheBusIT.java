package io.flowreel.it;

import io.flowreel.contract.Stages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowreel.pack.RenderPlan;
import io.flowreel.contract.JobSpecMapper;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.infra.DataDirs;
import io.flowreel.infra.ServiceProcess;
import io.flowreel.media.Mp4Reader;
import io.flowreel.media.RgbFrame;
import io.flowreel.messages.ArtifactFormat;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.DeadLetter;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.messages.TensorRef;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.SizeRules;
import io.flowreel.render.LocalRenderer;
import io.flowreel.contract.RenderManifest;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.ArtifactKeys;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 4 item 5: the six stage services as separate processes (two denoisers) against a real
 * broker and S3 server. Tasks go straight onto the first stage's topic, as the gateway will put
 * them. Every wait is an Awaitility condition with a generous bound; none is a fixed sleep.
 */
class StagesOnTheBusIT {

  static final String BATCH = "it-batch";
  static final List<Stage> ALL_STAGES = Stages.PIPELINE;
  static final Duration JOB_TIMEOUT = Duration.ofMinutes(3);
  static final ObjectMapper JSON = new ObjectMapper();

  static RenderFarm farm;

  @BeforeAll
  static void startFarm() throws Exception {
    Path dir = Path.of("target", "it-data").toAbsolutePath();
    DataDirs.delete(dir); // a fresh broker and bucket every run: job ids and control commands start from nothing
    Map<Stage, Integer> instances = new LinkedHashMap<>();
    ALL_STAGES.forEach(stage -> instances.put(stage, stage == Stage.DENOISE ? 2 : 1));
    farm = RenderFarm.start(dir, instances);
  }

  @AfterAll
  static void stopFarm() throws Exception {
    if (farm != null) {
      farm.close();
    }
  }

  /** (a) Jobs placed on the first stage's topic end as MP4, poster and manifest in the output bucket. */
  @Test
  void fourJobsEndAsClipPosterAndManifestInTheOutputBucket() throws Exception {
    List<String> jobs = List.of("four-1", "four-2", "four-3", "four-4");
    for (int i = 0; i < jobs.size(); i++) {
      farm.submit(Stage.REWRITE, task(spec(jobs.get(i)).setSeed(i).build(), ALL_STAGES));
    }
    await().atMost(JOB_TIMEOUT).until(() -> jobs.stream().allMatch(job -> !events(job, Stage.PUBLISH,
        StageEventType.SUCCEEDED).isEmpty()));

    for (String job : jobs) {
      StageEvent published = events(job, Stage.PUBLISH, StageEventType.SUCCEEDED).get(0);
      Map<String, ArtifactRef> outputs = new LinkedHashMap<>();
      published.getArtifacts().forEach(a -> outputs.put(a.getName(), a));
      assertThat(outputs).containsOnlyKeys("video", "poster", "manifest");
      assertThat(outputs.get("video").getFormat()).isEqualTo(ArtifactFormat.MP4);
      assertThat(outputs.get("poster").getFormat()).isEqualTo(ArtifactFormat.PNG);
      assertThat(outputs.get("manifest").getFormat()).isEqualTo(ArtifactFormat.JSON);
      for (ArtifactRef ref : outputs.values()) {
        assertThat(ref.getBucket()).isEqualTo(RenderFarm.OUTPUT_BUCKET);
        assertThat(sha256(farm.getObject(ref.getBucket(), ref.getKey()))).as(ref.getKey()).isEqualTo(ref.getSha256());
      }
      Mp4Reader.VideoInfo video = Mp4Reader.probe(download(outputs.get("video"), job + ".mp4"));
      assertThat(video.frames()).isEqualTo(5);
      assertThat(video.width()).isEqualTo(64);
      assertThat(video.height()).isEqualTo(64);
      JsonNode manifest = JSON.readTree(farm.getObject(RenderFarm.OUTPUT_BUCKET, outputs.get("manifest").getKey()));
      assertThat(manifest.path("jobId").asText()).isEqualTo(job);
      assertThat(manifest.path("attempt").asInt()).isEqualTo(1);
      assertThat(types(job, null)).doesNotContain(StageEventType.FAILED, StageEventType.DEAD_LETTERED);
      // every stage ran, in order, and each exactly once
      assertThat(events(job, null).stream().filter(e -> e.getType() == StageEventType.SUCCEEDED)
          .map(StageEvent::getStage)).containsExactlyElementsOf(ALL_STAGES);
    }
  }

  /** (b) kill -9 of the denoiser working on a job: the other one takes the task over, and the job completes once. */
  @Test
  void killingADenoiserMidTaskStillCompletesTheJobExactlyOnce() throws Exception {
    assertThat(farm.running(Stage.DENOISE)).as("denoisers running").hasSizeGreaterThanOrEqualTo(2);
    String job = "killed-1";
    // Large enough that denoising runs for seconds: the kill lands mid-task.
    farm.submit(Stage.REWRITE, task(spec(job).setWidth(256).setHeight(256).setFrames(17).setSteps(60).build(),
        ALL_STAGES));
    // Past the first checkpoint (every 5 steps), so the survivor has something to resume from.
    StageEvent progress = await().atMost(JOB_TIMEOUT).until(() -> events(job, Stage.DENOISE, StageEventType.PROGRESS)
        .stream().filter(e -> e.getStep() >= 6).findFirst(), Optional::isPresent).get();
    ServiceProcess victim = farm.worker(progress.getWorker());
    victim.kill();
    long killedAt = System.currentTimeMillis();

    await().atMost(JOB_TIMEOUT).until(() -> !events(job, Stage.PUBLISH, StageEventType.SUCCEEDED).isEmpty());

    List<StageEvent> started = events(job, Stage.DENOISE, StageEventType.STARTED);
    assertThat(started).extracting(StageEvent::getWorker).hasSize(2).first().isEqualTo(victim.instanceId());
    String survivor = started.get(1).getWorker();
    assertThat(survivor).isNotEqualTo(victim.instanceId());
    StageEvent resumedAt = events(job, Stage.DENOISE, StageEventType.PROGRESS).stream()
        .filter(e -> e.getWorker().equals(survivor)).findFirst().orElseThrow();
    assertThat(resumedAt.getStep()).as("first step reported after the takeover").isGreaterThanOrEqualTo(5);
    System.out.printf("kill -9 of %s at step %d: %s started the task %d ms later, resumed at step %d; "
        + "published %d ms after the kill%n", victim.instanceId(), progress.getStep(), survivor,
        started.get(1).getTimeMillis() - killedAt, resumedAt.getStep(),
        events(job, Stage.PUBLISH, StageEventType.SUCCEEDED).get(0).getTimeMillis() - killedAt);
    assertThat(events(job, Stage.DENOISE, StageEventType.SUCCEEDED)).extracting(StageEvent::getWorker)
        .containsExactly(survivor);
    // A second completion would come within moments of the first: it must not come at all.
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
        .until(() -> events(job, Stage.PUBLISH, StageEventType.SUCCEEDED).size() == 1);
    assertThat(farm.keys(RenderFarm.OUTPUT_BUCKET, "").stream().filter(k -> k.contains("/" + job + "."))
        .filter(k -> k.endsWith(".json"))).hasSize(1);
  }

  /** (c) A task whose input does not match its sha256 goes to the dead-letter topic with the cause; others finish. */
  @Test
  void aCorruptInputIsDeadLetteredWithItsCauseWhileOtherJobsFinish() throws Exception {
    String broken = "corrupt-1";
    JobSpec spec = spec(broken).build();
    ModelPack pack = ModelPack.load(farm.repo().resolve("models/tiny"));
    SizeRules.Geometry g = pack.sizeRules().resolve(spec.getWidth(), spec.getHeight(), spec.getFrames(), true);
    int[] shape = {1, pack.manifest().latent().channels(), g.latentFrames(), g.latentHeight(), g.latentWidth()};
    byte[] latent = SafeTensors.toBytes(Map.of("latent", FloatTensor.zeros(shape)));
    String expectedSha = sha256(latent);
    latent[latent.length - 1] ^= 0x5a; // one flipped byte in storage: same size, different hash
    String key = ArtifactKeys.key(broken, 1, "denoise", "latent", Artifact.Format.SAFETENSORS);
    farm.putObject(RenderFarm.WORK_BUCKET, key, latent);
    ArtifactRef ref = ArtifactRef.newBuilder().setStage(Stage.DENOISE).setName("latent")
        .setBucket(RenderFarm.WORK_BUCKET).setKey(key).setSha256(expectedSha).setSize(latent.length)
        .setFormat(ArtifactFormat.SAFETENSORS)
        .setTensors(List.of(new TensorRef("latent", "F32", Arrays.stream(shape).mapToObj(d -> (long) d)
            .toList())))
        .build();
    RenderTask task = RenderTask.newBuilder(task(spec, List.of(Stage.DECODE, Stage.UPSAMPLE, Stage.PUBLISH)))
        .setArtifacts(List.of(ref)).build();

    List<String> healthy = List.of("beside-corrupt-1", "beside-corrupt-2");
    farm.submit(Stage.DECODE, task);
    for (String job : healthy) {
      farm.submit(Stage.REWRITE, task(spec(job).build(), ALL_STAGES));
    }

    DeadLetter letter = await().atMost(JOB_TIMEOUT).until(() -> farm.deadLetters(Stage.DECODE, broken),
        l -> !l.isEmpty()).get(0);
    assertThat(letter.getStage()).isEqualTo(Stage.DECODE);
    assertThat(letter.getError()).contains("sha256").contains(expectedSha);
    assertThat(letter.getErrorClass()).endsWith("CorruptArtifactException");
    assertThat(letter.getTask().getSpec().getJobId()).isEqualTo(broken);
    assertThat(letter.getDeliveryAttempts()).as("bad input is not retried").isEqualTo(1);
    await().atMost(JOB_TIMEOUT).until(() -> healthy.stream().allMatch(job -> !events(job, Stage.PUBLISH,
        StageEventType.SUCCEEDED).isEmpty()));
    assertThat(types(broken, Stage.DECODE)).contains(StageEventType.FAILED).doesNotContain(StageEventType.SUCCEEDED);
    assertThat(farm.tasks(Stage.UPSAMPLE, broken)).isEmpty();
  }

  /** (d) A cancel sent mid-denoise stops the job within one step. */
  @Test
  void cancellingMidDenoiseStopsWithinOneStep() throws Exception {
    String job = "cancelled-1";
    // The largest latent the tiny pack takes: steps of a few hundred ms, well above the time a cancel
    // needs to reach the denoiser, so "within one step" is what is measured, not the bus's latency.
    farm.submit(Stage.REWRITE, task(spec(job).setWidth(512).setHeight(512).setFrames(17).setSteps(60).build(),
        ALL_STAGES));
    await().atMost(JOB_TIMEOUT).until(() -> events(job, Stage.DENOISE, StageEventType.PROGRESS).size() >= 2);
    farm.cancel(job);
    // Counted from the broker's acknowledgement: the producer's first send to the control topic waits
    // for metadata, and steps sent meanwhile ran before any cancel existed (2026-12-05, steps of 137 ms).
    long sentAt = System.currentTimeMillis();

    await().atMost(Duration.ofSeconds(30)).until(() -> types(job, Stage.DENOISE).contains(StageEventType.CANCELLED));
    List<StageEvent> stepsAfterCancel = events(job, Stage.DENOISE, StageEventType.PROGRESS).stream()
        .filter(e -> e.getTimeMillis() >= sentAt).toList();
    assertThat(stepsAfterCancel).as("progress events after the cancel was sent").hasSizeLessThanOrEqualTo(1);
    List<StageEvent> before = events(job, Stage.DENOISE, StageEventType.PROGRESS).stream()
        .filter(e -> e.getTimeMillis() < sentAt).toList();
    StageEvent last = before.get(before.size() - 1);
    System.out.printf("cancel sent after step %d of 60 (steps of ~%d ms): CANCELLED %d ms later, %d step(s) "
        + "reported in between%n", last.getStep(),
        (last.getTimeMillis() - before.get(0).getTimeMillis()) / Math.max(1, last.getStep() - before.get(0).getStep()),
        events(job, Stage.DENOISE, StageEventType.CANCELLED).get(0).getTimeMillis() - sentAt, stepsAfterCancel.size());
    assertThat(types(job, Stage.DENOISE)).doesNotContain(StageEventType.SUCCEEDED);
    assertThat(farm.tasks(Stage.DECODE, job)).isEmpty();
  }

  /**
   * (e) A job of the pack's default size and steps renders through the bus to exactly what LocalRenderer
   * (./flowreel render --local) renders, and its frames cross the bus as 8 bits: everything it stores in
   * S3 (work objects and outputs) stays under 5 MB, where float32 frames took about 17 MB.
   */
  @Test
  void aDefaultJobRenderedThroughTheBusMatchesTheLocalRenderAndStoresUnderFiveMegabytes() throws Exception {
    String job = "same-as-local-1";
    ModelPack pack = ModelPack.load(farm.repo().resolve("models/tiny"));
    var defaults = pack.manifest().output();
    JobSpec spec = spec(job).setSeed(42).setPrompt("a blue box sliding across a wooden table")
        .setWidth(defaults.width()).setHeight(defaults.height()).setFrames(defaults.frames())
        .setSteps(pack.manifest().sampler().steps()).build();
    farm.submit(Stage.REWRITE, task(spec, ALL_STAGES));

    Path local = Files.createDirectories(Path.of("target", "it-local-render"));
    RenderManifest manifest = new LocalRenderer(pack, OnnxRuntimeEngine.forPack(pack)).render(RenderPlan.of(job,
        JobSpecMapper.settings(spec), pack), local, LocalRenderer.Progress.NONE, () -> false);
    List<RgbFrame> expected = Mp4Reader.readAll(local.resolve(manifest.outputs().video()));

    await().atMost(JOB_TIMEOUT).until(() -> !events(job, Stage.PUBLISH, StageEventType.SUCCEEDED).isEmpty());
    ArtifactRef video = events(job, Stage.PUBLISH, StageEventType.SUCCEEDED).get(0).getArtifacts().stream()
        .filter(a -> a.getName().equals("video")).findFirst().orElseThrow();
    List<RgbFrame> actual = Mp4Reader.readAll(download(video, job + ".mp4"));

    assertThat(actual).hasSize(defaults.frames());
    assertThat(actual).isEqualTo(expected);

    long stored = farm.bytes(RenderFarm.WORK_BUCKET, "jobs/" + job + "/")
        + farm.bytes(RenderFarm.OUTPUT_BUCKET, "outputs/" + BATCH + "/" + job + ".");
    // The denoiser checkpoints every 5 steps (DenoiseHandler.DEFAULT_CHECKPOINT_EVERY) into one object:
    // the writes it overwrote count too.
    long checkpointRewrites = Math.max(0, (spec.getSteps() - 1) / 5 - 1);
    long checkpoint = farm.bytes(RenderFarm.WORK_BUCKET, "jobs/" + job + "/attempt-1/denoise/checkpoint");
    long written = stored + checkpointRewrites * checkpoint;
    System.out.printf("bytes written to S3 by a default job (%dx%dx%d, %d steps): %d (%d stored)%n",
        defaults.width(), defaults.height(), defaults.frames(), spec.getSteps(), written, stored);
    assertThat(written).isLessThanOrEqualTo(5L * 1024 * 1024);
  }

  /**
   * (f) The largest size and frame count the tiny pack advertises renders through the services with
   * the heaps `flowreel up` gives them (float32 frames overflowed the upsampler and the publisher).
   */
  @Test
  void theLargestSizeThePackAdvertisesRendersThroughTheServices() throws Exception {
    String job = "largest-1";
    farm.submit(Stage.REWRITE, task(spec(job).setWidth(512).setHeight(512).setFrames(61).build(), ALL_STAGES));
    await().atMost(Duration.ofMinutes(8)).until(() -> !events(job, Stage.PUBLISH, StageEventType.SUCCEEDED).isEmpty()
        || !types(job, null).stream().filter(t -> t == StageEventType.DEAD_LETTERED).toList().isEmpty());
    assertThat(types(job, null)).doesNotContain(StageEventType.DEAD_LETTERED, StageEventType.FAILED);
    ArtifactRef video = events(job, Stage.PUBLISH, StageEventType.SUCCEEDED).get(0).getArtifacts().stream()
        .filter(a -> a.getName().equals("video")).findFirst().orElseThrow();
    Mp4Reader.VideoInfo info = Mp4Reader.probe(download(video, job + ".mp4"));
    assertThat(info.frames()).isEqualTo(61);
    assertThat(info.width()).isEqualTo(512);
    assertThat(info.height()).isEqualTo(512);
  }

  // --- jobs and events ---

  static JobSpec.Builder spec(String jobId) {
    return JobSpec.newBuilder().setJobId(jobId).setBatchId(BATCH).setTenant("it-studio")
        .setPrompt("a red ball bouncing on a blue floor").setSeed(1).setWidth(64).setHeight(64).setFrames(5).setFps(8)
        .setSteps(4).setPack("tiny");
  }

  static RenderTask task(JobSpec spec, List<Stage> slip) {
    return RenderTask.newBuilder().setSpec(spec).setAttempt(1).setRoutingSlip(slip)
        .setCreatedAtMillis(System.currentTimeMillis()).build();
  }

  /** The job's events at {@code stage} (every stage if null) of {@code type} (every type if null). */
  static List<StageEvent> events(String job, Stage stage, StageEventType type) {
    return farm.events(job).stream().filter(e -> stage == null || e.getStage() == stage)
        .filter(e -> type == null || e.getType() == type).toList();
  }

  static List<StageEvent> events(String job, Stage stage) {
    return events(job, stage, null);
  }

  static List<StageEventType> types(String job, Stage stage) {
    return events(job, stage).stream().map(StageEvent::getType).toList();
  }

  static Path download(ArtifactRef ref, String name) throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "it-downloads"));
    return Files.write(dir.resolve(name), farm.getObject(ref.getBucket(), ref.getKey()));
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
