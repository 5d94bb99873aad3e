package io.flowreel.publisher;

import static io.flowreel.service.testing.TestTasks.spec;
import static io.flowreel.service.testing.TestTasks.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.artifacts.ClipFrames;
import io.flowreel.contract.Stages;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.CorruptArtifactException;
import io.flowreel.runtime.StageHandler.Result;
import io.flowreel.service.OpenedStage;
import io.flowreel.service.testing.FakeStageContext;
import io.flowreel.service.testing.HandlerFixture;
import io.flowreel.service.testing.TestTasks;
import io.flowreel.tensor.ByteTensor;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Pixels;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * PUBLISH against a real S3 server, from frames as DECODE or UPSAMPLE store them: layout, manifest,
 * fencing by attempt, stopping. No network runs here; the whole chain is BusRenderMatchesLocalRenderTest.
 */
class PublishHandlerTest {

  private static final ModelPack PACK = HandlerFixture.tinyPack();
  private static final PublishHandler PUBLISH = new PublishHandler(PACK);
  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension static final HandlerFixture FIXTURE = new HandlerFixture();

  /** The task as UPSAMPLE hands it on: a clip of {@code frames} frames of {@code height x width} stored. */
  private static RenderTask ready(JobSpec spec, int frames, int height, int width) throws Exception {
    RenderTask task = task(spec, 1);
    float[] data = new float[frames * 3 * height * width];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) Math.sin(i * 0.001); // a smooth pattern in [-1, 1]
    }
    ByteTensor clip = Pixels.quantize(new FloatTensor(new int[] {frames, 3, height, width}, data));
    Map<String, Long> millis = new LinkedHashMap<>();
    Map<String, String> engines = new LinkedHashMap<>();
    for (Stage stage : List.of(Stage.REWRITE, Stage.ENCODE, Stage.DENOISE, Stage.DECODE, Stage.UPSAMPLE)) {
      millis.put(Stages.id(stage), 10L);
      if (stage != Stage.REWRITE) {
        engines.put(Stages.id(stage), "onnxruntime");
      }
    }
    task = TestTasks.with(task, ClipFrames.store(FIXTURE.context(), task, Stage.UPSAMPLE, clip));
    // Set last: a builder copied from a task copies its maps into hash maps, losing their order.
    return RenderTask.newBuilder(task).setRewrittenPrompt("A red ball bouncing on a blue floor. Soft light.")
        .setStageMillis(millis).setStageEngines(engines)
        .setRoutingSlip(new ArrayList<>(List.of(Stage.PUBLISH))).build();
  }

  private static RenderTask ready(String jobId) throws Exception {
    return ready(spec(jobId), 5, 64, 64);
  }

  @Test
  void publishingAgainReportsTheSameFilesAndNeverOverwritesANewerAttempt() throws Exception {
    RenderTask ready = ready("twice");
    Result first = PUBLISH.handle(ready, FIXTURE.context());
    assertThat(first.artifacts()).extracting(Artifact::name).containsExactly("video", "poster", "manifest");
    List<String> keys = first.artifacts().stream().map(Artifact::key).toList();
    assertThat(keys).containsExactly("outputs/batch-1/twice.attempt-1.mp4", "outputs/batch-1/twice.attempt-1.png",
        "outputs/batch-1/twice.attempt-1.json");
    List<byte[]> before = new ArrayList<>();
    for (String key : keys) {
      before.add(FIXTURE.output(key));
    }

    // A redelivery (its first delivery may have died before reporting) reports the same files again,
    // uploading nothing: same keys, same hashes, the stored bytes untouched.
    Result again = PUBLISH.handle(ready, FIXTURE.context());
    assertThat(again.artifacts()).isEqualTo(first.artifacts());
    for (int i = 0; i < keys.size(); i++) {
      assertThat(FIXTURE.output(keys.get(i))).as(keys.get(i)).isEqualTo(before.get(i));
    }

    // A newer attempt publishes its own files; a late delivery of the older one then changes nothing.
    Result newer = PUBLISH.handle(RenderTask.newBuilder(ready).setAttempt(2).build(), FIXTURE.context());
    assertThat(newer.artifacts()).extracting(Artifact::key).allMatch(k -> k.contains(".attempt-2."));
    byte[] newerManifest = FIXTURE.output("outputs/batch-1/twice.attempt-2.json");
    assertThat(JSON.readTree(newerManifest).get("attempt").asInt()).isEqualTo(2);
    assertThat(PUBLISH.handle(ready, FIXTURE.context()).artifacts()).isEqualTo(first.artifacts());
    assertThat(FIXTURE.output("outputs/batch-1/twice.attempt-2.json")).isEqualTo(newerManifest);
  }

  @Test
  void twoPublishersRacingNeverMixAttempts() throws Exception {
    // A stale attempt 1 and the current attempt 2 of one job publish at the same moment, as a worker
    // that hung and woke up would next to the retry that replaced it.
    RenderTask stale = ready("race");
    RenderTask current = RenderTask.newBuilder(stale).setAttempt(2).build();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService two = Executors.newFixedThreadPool(2);
    try {
      Future<Result> late = two.submit(() -> {
        start.await();
        return new PublishHandler(PACK).handle(stale, FIXTURE.context());
      });
      Future<Result> winner = two.submit(() -> {
        start.await();
        return new PublishHandler(PACK).handle(current, FIXTURE.context());
      });
      start.countDown();
      for (Artifact artifact : winner.get(60, TimeUnit.SECONDS).artifacts()) {
        assertThat(artifact.key()).contains(".attempt-2.");
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(FIXTURE.output(artifact.key()))))
            .as(artifact.key()).isEqualTo(artifact.sha256());
      }
      assertThat(late.get(60, TimeUnit.SECONDS).artifacts()).allSatisfy(a -> assertThat(a.key()).contains(".attempt-1."));
    } finally {
      two.shutdownNow();
    }
    assertThat(JSON.readTree(FIXTURE.output("outputs/batch-1/race.attempt-2.json")).get("attempt").asInt())
        .isEqualTo(2);
  }

  @Test
  void publishStopsBeforeUploadingWhenStopped() throws Exception {
    RenderTask ready = ready("stopped-publish");
    assertThatThrownBy(() -> PUBLISH.handle(ready, FIXTURE.context(step -> true)))
        .isInstanceOf(CancellationException.class);
    assertThat(FIXTURE.store().find(FakeStageContext.OUTPUT, "outputs/batch-1/stopped-publish.attempt-1.mp4")).isEmpty();
  }

  @Test
  void theManifestKeepsItsPublishedLayout() throws Exception {
    RenderTask ready = ready("layout");
    PUBLISH.handle(ready, FIXTURE.context());
    JsonNode manifest = JSON.readTree(FIXTURE.output("outputs/batch-1/layout.attempt-1.json"));

    assertThat(manifest.fieldNames()).toIterable().containsExactly("jobId", "batchId", "tenant", "attempt", "prompt",
        "rewrittenPrompt", "negativePrompt", "seed", "width", "height", "frames", "fps", "steps", "guidance", "shift",
        "upsampled", "pack", "engine", "engines", "stageMillis", "outputs");
    assertThat(manifest.get("pack").fieldNames()).toIterable().containsExactly("name", "version", "sha256");
    assertThat(manifest.get("outputs").fieldNames()).toIterable()
        .containsExactly("bucket", "video", "poster", "manifest");
    assertThat(manifest.get("jobId").asText()).isEqualTo("layout");
    assertThat(manifest.get("batchId").asText()).isEqualTo("batch-1");
    assertThat(manifest.get("tenant").asText()).isEqualTo("studio");
    assertThat(manifest.get("attempt").isInt()).isTrue();
    assertThat(manifest.get("prompt").asText()).isEqualTo("a red ball bouncing on a blue floor");
    assertThat(manifest.get("rewrittenPrompt").asText()).isEqualTo("A red ball bouncing on a blue floor. Soft light.");
    assertThat(manifest.get("negativePrompt").isNull()).isTrue();
    assertThat(manifest.get("seed").asLong()).isEqualTo(42);
    assertThat(manifest.get("width").asInt()).isEqualTo(64);
    assertThat(manifest.get("height").asInt()).isEqualTo(64);
    assertThat(manifest.get("frames").asInt()).isEqualTo(5);
    assertThat(manifest.get("fps").asInt()).isEqualTo(8);
    assertThat(manifest.get("steps").asInt()).isEqualTo(4);
    assertThat(manifest.get("guidance").asDouble()).isEqualTo(PACK.manifest().sampler().guidance());
    assertThat(manifest.get("shift").asDouble()).isEqualTo(PACK.manifest().sampler().shift());
    assertThat(manifest.get("upsampled").asBoolean()).isTrue();
    assertThat(manifest.at("/pack/name").asText()).isEqualTo(PACK.name());
    assertThat(manifest.at("/pack/version").asText()).isEqualTo(PACK.manifest().version());
    assertThat(manifest.get("engine").asText()).isEqualTo("onnxruntime");
    assertThat(manifest.get("engines").fieldNames()).toIterable()
        .containsExactly("encode", "denoise", "decode", "upsample");
    assertThat(manifest.get("stageMillis").fieldNames()).toIterable()
        .containsExactly("rewrite", "encode", "denoise", "decode", "upsample", "publish");
    assertThat(manifest.at("/outputs/bucket").asText()).isEqualTo(FakeStageContext.OUTPUT);
    assertThat(manifest.at("/outputs/video").asText()).isEqualTo("outputs/batch-1/layout.attempt-1.mp4");
    assertThat(manifest.at("/outputs/poster").asText()).isEqualTo("outputs/batch-1/layout.attempt-1.png");
    assertThat(manifest.at("/outputs/manifest").asText()).isEqualTo("outputs/batch-1/layout.attempt-1.json");
  }

  @Test
  void framesOfAnotherSizeThanTheSpecAreRefused() throws Exception {
    RenderTask ready = ready(spec("wrong-size"), 5, 32, 32); // the decoder's size: upsampling was skipped
    assertThatThrownBy(() -> PUBLISH.handle(ready, FIXTURE.context()))
        .isInstanceOf(CorruptArtifactException.class)
        .hasMessageContaining("[5, 3, 32, 32]").hasMessageContaining("the spec asks for [5, 3, 64, 64]");
    assertThat(FIXTURE.store().find(FakeStageContext.OUTPUT, "outputs/batch-1/wrong-size.attempt-1.json")).isEmpty();
  }

  @Test
  void aBatchIdThatCannotBePartOfAKeyIsBadInput() {
    JobSpec spec = JobSpec.newBuilder(spec("job")).setBatchId("../other").build();
    assertThatThrownBy(() -> PublishHandler.outputKey(spec, 1, "mp4")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("batch id '../other' cannot be part of an object key");
  }

  @Test
  void publishRunsNoNetwork() {
    OpenedStage opened = new PublisherDefinition().open(PACK, null);
    assertThat(opened.handler().stage()).isEqualTo(Stage.PUBLISH);
    assertThat(opened.handler().engine()).isEmpty();
    assertThat(opened.engine().kind()).isEqualTo("none");
    assertThat(opened.engine().reason()).isEqualTo("publish runs no network");
  }
}
