package io.flowreel.handlers;

import io.flowreel.contract.Stages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.infra.S3Server;
import io.flowreel.media.Mp4Reader;
import io.flowreel.media.RgbFrame;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.render.InvalidRenderException;
import io.flowreel.render.LocalRenderer;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.ArtifactRefs;
import io.flowreel.runtime.ArtifactStore;
import io.flowreel.runtime.CorruptArtifactException;
import io.flowreel.runtime.StageContext;
import io.flowreel.runtime.StageHandler;
import io.flowreel.runtime.StageHandler.Result;
import io.flowreel.contract.Topics;
import io.flowreel.sampling.SamplingCancelledException;
import io.flowreel.tensor.FloatTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every handler on the real tiny pack against a real S3 server, chained in one process as the bus would. */
class StageHandlersTest {

  private static final ModelPack PACK =
      ModelPack.load(Path.of(System.getProperty("flowreel.repo", "../..")).resolve("models/tiny"));
  private static final InferenceEngine ENGINE = OnnxRuntimeEngine.forPack(PACK);
  private static final Map<Stage, StageHandler> HANDLERS = new EnumMap<>(Stage.class);

  @TempDir static Path dir;
  private static S3Server s3;
  private static ArtifactStore store;

  @TempDir Path out;

  @BeforeAll
  static void start() throws Exception {
    s3 = S3Server.start(dir.resolve("s3"));
    store = new ArtifactStore(s3.endpoint(), s3.accessKey(), s3.secretKey());
    store.ensureBucket(FakeStageContext.WORK);
    store.ensureBucket(FakeStageContext.OUTPUT);
    for (Stage stage : List.of(Stage.REWRITE, Stage.ENCODE, Stage.DENOISE, Stage.DECODE, Stage.UPSAMPLE,
        Stage.PUBLISH)) {
      HANDLERS.put(stage, StageHandlers.create(stage, PACK, ENGINE));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    store.close();
    s3.close();
  }

  private static JobSpec spec(String jobId, int width, int height, int frames, int steps, boolean rewrite,
      boolean upsample) {
    return JobSpec.newBuilder().setJobId(jobId).setBatchId("batch-1").setTenant("studio").setPrompt(
        "a red ball bouncing on a blue floor").setNegativePrompt(null).setSeed(42).setWidth(width).setHeight(height)
        .setFrames(frames).setFps(8).setSteps(steps).setGuidance(null).setShift(null).setPack("tiny")
        .setRewrite(rewrite).setUpsample(upsample).build();
  }

  private static JobSpec spec(String jobId) {
    return spec(jobId, 64, 64, 5, 4, true, true);
  }

  /** A fresh task as the gateway sends it: the slip lists the stages the spec needs. */
  private static RenderTask task(JobSpec spec, int attempt) {
    List<Stage> slip = new ArrayList<>();
    if (spec.getRewrite()) {
      slip.add(Stage.REWRITE);
    }
    slip.addAll(List.of(Stage.ENCODE, Stage.DENOISE, Stage.DECODE));
    if (spec.getUpsample()) {
      slip.add(Stage.UPSAMPLE);
    }
    slip.add(Stage.PUBLISH);
    return RenderTask.newBuilder().setSpec(spec).setAttempt(attempt).setRoutingSlip(slip).setCreatedAtMillis(0)
        .build();
  }

  /** Runs the head of the slip and moves the task on, as StageWorker.forward does. */
  private static RenderTask step(RenderTask task, StageContext ctx) throws Exception {
    Stage stage = task.getRoutingSlip().get(0);
    long t0 = System.nanoTime();
    StageHandler handler = HANDLERS.get(stage);
    Result result = handler.handle(task, ctx);
    return advance(task, result, (System.nanoTime() - t0) / 1_000_000, handler.engine());
  }

  private static RenderTask advance(RenderTask task, Result result, long millis, Optional<String> engine) {
    List<ArtifactRef> artifacts = new ArrayList<>(task.getArtifacts());
    result.artifacts().forEach(a -> artifacts.add(ArtifactRefs.toWire(a)));
    Map<String, Long> stageMillis = new LinkedHashMap<>(task.getStageMillis());
    Stage stage = task.getRoutingSlip().get(0);
    stageMillis.put(Stages.id(stage), millis);
    Map<String, String> stageEngines = new LinkedHashMap<>(task.getStageEngines());
    engine.ifPresent(kind -> stageEngines.put(Stages.id(stage), kind));
    return RenderTask.newBuilder(task).setArtifacts(artifacts).setStageMillis(stageMillis)
        .setStageEngines(stageEngines)
        .setRoutingSlip(new ArrayList<>(task.getRoutingSlip().subList(1, task.getRoutingSlip().size())))
        .setRewrittenPrompt(result.rewrittenPrompt() != null ? result.rewrittenPrompt() : task.getRewrittenPrompt())
        .build();
  }

  /** Runs stages until {@code until} is the head of the slip (or the slip is empty). */
  private static RenderTask runUntil(RenderTask task, Stage until) throws Exception {
    FakeStageContext ctx = new FakeStageContext(store);
    while (!task.getRoutingSlip().isEmpty() && task.getRoutingSlip().get(0) != until) {
      task = step(task, ctx);
    }
    return task;
  }

  private static Artifact artifact(RenderTask task, String name) {
    return ArtifactRefs.find(task, name);
  }

  private static byte[] output(String key) throws Exception {
    return store.find(FakeStageContext.OUTPUT, key).orElseThrow();
  }

  @ParameterizedTest(name = "{0}: {1}x{2}x{3}, {4} steps, rewrite {5}, upsample {6}")
  @CsvSource({
      "bus-a, 64, 64, 5, 4, true, true",
      // 17 frames: the decoder streams two chunks (13 + 4 frames), which the upsampler must follow.
      "bus-b, 64, 64, 17, 2, true, true",
      "bus-c, 48, 32, 5, 3, false, false"})
  void busRenderDecodesToTheSameFramesAsTheLocalRenderer(String jobId, int width, int height, int frames, int steps,
      boolean rewrite, boolean upsample) throws Exception {
    JobSpec spec = spec(jobId, width, height, frames, steps, rewrite, upsample);
    RenderTask done = runUntil(task(spec, 1), null);

    assertThat(done.getArtifacts()).extracting(ArtifactRef::getName).endsWith("video", "poster", "manifest");
    Path busVideo = Files.write(out.resolve("bus.mp4"), output("outputs/batch-1/" + jobId + ".mp4"));
    new LocalRenderer(PACK, ENGINE).render(JobSpecs.renderSpec(spec), out.resolve("local"),
        LocalRenderer.Progress.NONE, () -> false);
    List<RgbFrame> bus = Mp4Reader.readAll(busVideo);
    List<RgbFrame> local = Mp4Reader.readAll(out.resolve("local").resolve(jobId + ".mp4"));
    assertThat(bus).hasSize(frames).hasSameSizeAs(local);
    assertThat(bus.get(0).width()).isEqualTo(width);
    assertThat(bus.get(0).height()).isEqualTo(height);
    assertThat(bus).isEqualTo(local);
    assertThat(output("outputs/batch-1/" + jobId + ".png"))
        .isEqualTo(Files.readAllBytes(out.resolve("local").resolve(jobId + ".png")));

    JsonNode manifest = new ObjectMapper().readTree(output("outputs/batch-1/" + jobId + ".json"));
    JsonNode localManifest = new ObjectMapper().readTree(out.resolve("local").resolve(jobId + ".json").toFile());
    for (String field : List.of("jobId", "prompt", "rewrittenPrompt", "seed", "width", "height", "frames", "fps",
        "steps", "guidance", "shift", "upsampled", "pack", "engine", "engines")) {
      assertThat(manifest.get(field)).as(field).isEqualTo(localManifest.get(field));
    }
    assertThat(manifest.get("engine").asText()).isEqualTo("onnxruntime");
    assertThat(manifest.get("engines").fieldNames()).toIterable()
        .containsExactlyElementsOf(upsample ? List.of("encode", "denoise", "decode", "upsample")
            : List.of("encode", "denoise", "decode"));
    assertThat(manifest.get("attempt").asInt()).isEqualTo(1);
    assertThat(manifest.get("batchId").asText()).isEqualTo("batch-1");
    assertThat(manifest.at("/outputs/video").asText()).isEqualTo("outputs/batch-1/" + jobId + ".mp4");
    assertThat(manifest.at("/outputs/poster").asText()).isEqualTo("outputs/batch-1/" + jobId + ".png");
    assertThat(manifest.get("stageMillis").fieldNames()).toIterable()
        .containsExactlyElementsOf(upsample
            ? List.of("rewrite", "encode", "denoise", "decode", "upsample", "publish")
            : List.of("encode", "denoise", "decode", "publish"));
  }

  @Test
  void eachStageNamesTheNetworksItRunsAndReportsItsEngine() {
    assertThat(StageHandlers.networks(Stage.ENCODE, PACK)).containsExactly("text_clip", "text_byt5", "text_ul2");
    assertThat(StageHandlers.networks(Stage.DENOISE, PACK)).containsExactly("dit");
    assertThat(StageHandlers.networks(Stage.DECODE, PACK)).containsExactly("decoder");
    assertThat(StageHandlers.networks(Stage.UPSAMPLE, PACK)).containsExactly("upsampler");
    for (Stage stage : List.of(Stage.REWRITE, Stage.PUBLISH)) {
      assertThat(StageHandlers.networks(stage, PACK)).isEmpty();
      assertThat(HANDLERS.get(stage).engine()).as("%s", stage).isEmpty();
    }
    for (Stage stage : List.of(Stage.ENCODE, Stage.DENOISE, Stage.DECODE, Stage.UPSAMPLE)) {
      assertThat(HANDLERS.get(stage).engine()).as("%s", stage).contains("onnxruntime");
    }
  }

  @Test
  void conditioningHoldsBothPromptsPerDitInput() throws Exception {
    RenderTask task = runUntil(task(spec("cond"), 1), Stage.DENOISE);
    Artifact conditioning = artifact(task, "conditioning");
    assertThat(conditioning.key()).isEqualTo("jobs/cond/attempt-1/encode/conditioning.safetensors");
    List<String> names = conditioning.tensors().stream().map(Artifact.TensorInfo::name).toList();
    assertThat(names).allMatch(n -> n.startsWith("positive.") || n.startsWith("negative."))
        .contains("positive.clip_pooled", "negative.clip_pooled");
    assertThat(task.getRewrittenPrompt()).startsWith("A red ball bouncing on a blue floor.");
  }

  @Test
  void corruptLatentIsRefusedByDecode() throws Exception {
    RenderTask task = runUntil(task(spec("corrupt"), 1), Stage.DECODE);
    Artifact latent = artifact(task, "latent");
    byte[] bytes = store.get(latent);
    bytes[bytes.length - 1] ^= 1; // one bit of the last float
    store.put(latent.bucket(), latent.key(), bytes, Artifact.Format.SAFETENSORS, "denoise", "latent", List.of());

    assertThatThrownBy(() -> HANDLERS.get(Stage.DECODE).handle(task, new FakeStageContext(store)))
        .isInstanceOf(CorruptArtifactException.class)
        .hasMessageContaining(latent.key()).hasMessageContaining("sha256");
  }

  @Test
  void invalidSizeIsBadInputNamingTheNearestValidSizes() {
    RenderTask task = task(spec("bad-size", 100, 64, 6, 4, true, true), 1);
    assertThatThrownBy(() -> HANDLERS.get(Stage.DENOISE).handle(task, new FakeStageContext(store)))
        .isInstanceOf(InvalidRenderException.class)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("width 100 is not valid for pack tiny")
        .hasMessageContaining("nearest valid: 96 or 128")
        .hasMessageContaining("frames 6 is not valid")
        .hasMessageContaining("nearest valid: 5 or 9");
  }

  @Test
  void resumingFromACheckpointGivesBitIdenticalLatents() throws Exception {
    DenoiseHandler denoise = new DenoiseHandler(PACK, ENGINE, 2);
    RenderTask encoded = runUntil(task(spec("resume"), 1), Stage.DENOISE);
    FakeStageContext straight = new FakeStageContext(store);
    FloatTensor expected = latentOf(denoise.handle(encoded, straight));
    assertThat(straight.progress).containsExactly(1, 2, 3, 4);

    // Attempt 2 has its own checkpoint key; its first delivery stops after step 3, past the checkpoint at 2.
    RenderTask retried = RenderTask.newBuilder(encoded).setAttempt(2).build();
    FakeStageContext crashed = new FakeStageContext(store, step -> step >= 3);
    assertThatThrownBy(() -> denoise.handle(retried, crashed)).isInstanceOf(SamplingCancelledException.class);
    assertThat(store.exists(FakeStageContext.WORK, "jobs/resume/attempt-2/denoise/checkpoint.safetensors")).isTrue();

    FakeStageContext redelivered = new FakeStageContext(store);
    FloatTensor resumed = latentOf(denoise.handle(retried, redelivered));
    assertThat(redelivered.progress).containsExactly(2, 3, 4); // picked up at the checkpoint, not at noise
    assertThat(resumed.shape()).isEqualTo(expected.shape());
    assertThat(resumed.data()).isEqualTo(expected.data());
  }

  private static FloatTensor latentOf(Result result) throws Exception {
    return (FloatTensor) store.getTensors(result.artifacts().get(0)).get("latent");
  }

  @Test
  void stopRequestedMidDenoiseStopsWithinOneStep() throws Exception {
    RenderTask encoded = runUntil(task(spec("stop"), 1), Stage.DENOISE);
    FakeStageContext ctx = new FakeStageContext(store, step -> step >= 2);
    assertThatThrownBy(() -> HANDLERS.get(Stage.DENOISE).handle(encoded, ctx))
        .isInstanceOfSatisfying(SamplingCancelledException.class, e -> assertThat(e.completedSteps()).isEqualTo(2));
    assertThat(ctx.progress).containsExactly(1, 2);
    assertThat(store.exists(FakeStageContext.WORK, "jobs/stop/attempt-1/denoise/latent.safetensors")).isFalse();
  }

  @Test
  void publishingAgainFinishesEarlierAndNeverOverwritesANewerAttempt() throws Exception {
    RenderTask ready = runUntil(task(spec("twice"), 1), Stage.PUBLISH);
    StageHandler publish = HANDLERS.get(Stage.PUBLISH);
    Result first = publish.handle(ready, new FakeStageContext(store));
    assertThat(first.artifacts()).extracting(Artifact::name).containsExactly("video", "poster", "manifest");
    List<String> keys = first.artifacts().stream().map(Artifact::key).toList();
    assertThat(keys).containsExactly("outputs/batch-1/twice.mp4", "outputs/batch-1/twice.png",
        "outputs/batch-1/twice.json");
    List<byte[]> before = new ArrayList<>();
    for (String key : keys) {
      before.add(output(key));
    }

    Result again = publish.handle(ready, new FakeStageContext(store));
    assertThat(again.alreadyDone()).isTrue();
    assertThat(again.artifacts()).isEmpty();
    for (int i = 0; i < keys.size(); i++) {
      assertThat(output(keys.get(i))).as(keys.get(i)).isEqualTo(before.get(i));
    }

    // A newer attempt replaces the clip; a late delivery of the older one then changes nothing.
    Result newer = publish.handle(RenderTask.newBuilder(ready).setAttempt(2).build(), new FakeStageContext(store));
    assertThat(newer.alreadyDone()).isFalse();
    byte[] newerManifest = output("outputs/batch-1/twice.json");
    assertThat(new ObjectMapper().readTree(newerManifest).get("attempt").asInt()).isEqualTo(2);
    assertThat(publish.handle(ready, new FakeStageContext(store)).alreadyDone()).isTrue();
    assertThat(output("outputs/batch-1/twice.json")).isEqualTo(newerManifest);
  }

  @Test
  void publishStopsBeforeUploadingWhenStopped() throws Exception {
    RenderTask ready = runUntil(task(spec("stopped-publish"), 1), Stage.PUBLISH);
    assertThatThrownBy(() -> HANDLERS.get(Stage.PUBLISH).handle(ready, new FakeStageContext(store, step -> true)))
        .isInstanceOf(java.util.concurrent.CancellationException.class);
    assertThat(store.find(FakeStageContext.OUTPUT, "outputs/batch-1/stopped-publish.mp4")).isEmpty();
  }

  @Test
  void everyStageHasItsHandler() {
    HANDLERS.forEach((stage, handler) -> assertThat(handler.stage()).isEqualTo(stage));
    assertThatThrownBy(() -> StageHandlers.create(Stage.UNKNOWN, PACK, ENGINE))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
