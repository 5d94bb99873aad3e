package io.flowreel.publisher;

import static io.flowreel.service.testing.TestTasks.spec;
import static io.flowreel.service.testing.TestTasks.task;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.contract.JobSpecMapper;
import io.flowreel.contract.Stages;
import io.flowreel.decoder.DecodeHandler;
import io.flowreel.denoiser.DenoiseHandler;
import io.flowreel.encoder.EncodeHandler;
import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.media.Mp4Reader;
import io.flowreel.media.RgbFrame;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.RenderPlan;
import io.flowreel.render.LocalRenderer;
import io.flowreel.rewriter.RewriteHandler;
import io.flowreel.runtime.ArtifactRefs;
import io.flowreel.runtime.StageContext;
import io.flowreel.runtime.StageHandler;
import io.flowreel.runtime.StageHandler.Result;
import io.flowreel.service.testing.FakeStageContext;
import io.flowreel.service.testing.HandlerFixture;
import io.flowreel.upsampler.UpsampleHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every stage service's own handler on the real tiny pack against a real S3 server, chained in one
 * process as the bus would, and the clip compared with {@link LocalRenderer}'s. It lives with the
 * publisher because what it checks is what the publisher publishes; the other services are test
 * dependencies here only (their classes, not their Quarkus applications).
 */
class BusRenderMatchesLocalRenderTest {

  private static final ModelPack PACK = HandlerFixture.tinyPack();
  private static final InferenceEngine ENGINE = OnnxRuntimeEngine.forPack(PACK);
  /** Each handler as its service's definition builds it. */
  private static final Map<Stage, StageHandler> HANDLERS = new EnumMap<>(Map.of(
      Stage.REWRITE, new RewriteHandler(),
      Stage.ENCODE, new EncodeHandler(PACK, ENGINE),
      Stage.DENOISE, new DenoiseHandler(PACK, ENGINE, DenoiseHandler.DEFAULT_CHECKPOINT_EVERY),
      Stage.DECODE, new DecodeHandler(PACK, ENGINE),
      Stage.UPSAMPLE, new UpsampleHandler(PACK, ENGINE),
      Stage.PUBLISH, new PublishHandler(PACK)));

  @RegisterExtension static final HandlerFixture FIXTURE = new HandlerFixture();

  @TempDir Path out;

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

  /** Runs every stage on the slip. */
  private static RenderTask runAll(RenderTask task) throws Exception {
    FakeStageContext ctx = FIXTURE.context();
    while (!task.getRoutingSlip().isEmpty()) {
      task = step(task, ctx);
    }
    return task;
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
    RenderTask done = runAll(task(spec, 1));

    assertThat(done.getArtifacts()).extracting(ArtifactRef::getName).endsWith("video", "poster", "manifest");
    Path busVideo = Files.write(out.resolve("bus.mp4"), FIXTURE.output("outputs/batch-1/" + jobId + ".attempt-1.mp4"));
    new LocalRenderer(PACK, ENGINE).render(RenderPlan.of(jobId, JobSpecMapper.settings(spec), PACK),
        out.resolve("local"), LocalRenderer.Progress.NONE, () -> false);
    List<RgbFrame> bus = Mp4Reader.readAll(busVideo);
    List<RgbFrame> local = Mp4Reader.readAll(out.resolve("local").resolve(jobId + ".mp4"));
    assertThat(bus).hasSize(frames).hasSameSizeAs(local);
    assertThat(bus.get(0).width()).isEqualTo(width);
    assertThat(bus.get(0).height()).isEqualTo(height);
    assertThat(bus).isEqualTo(local);
    assertThat(FIXTURE.output("outputs/batch-1/" + jobId + ".attempt-1.png"))
        .isEqualTo(Files.readAllBytes(out.resolve("local").resolve(jobId + ".png")));

    JsonNode manifest = new ObjectMapper().readTree(FIXTURE.output("outputs/batch-1/" + jobId + ".attempt-1.json"));
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
    assertThat(manifest.at("/outputs/video").asText()).isEqualTo("outputs/batch-1/" + jobId + ".attempt-1.mp4");
    assertThat(manifest.at("/outputs/poster").asText()).isEqualTo("outputs/batch-1/" + jobId + ".attempt-1.png");
    assertThat(manifest.get("stageMillis").fieldNames()).toIterable()
        .containsExactlyElementsOf(upsample
            ? List.of("rewrite", "encode", "denoise", "decode", "upsample", "publish")
            : List.of("encode", "denoise", "decode", "publish"));
  }

  @Test
  void everyStageHasItsHandler() {
    assertThat(HANDLERS.keySet()).containsExactlyElementsOf(Stages.PIPELINE);
    HANDLERS.forEach((stage, handler) -> assertThat(handler.stage()).isEqualTo(stage));
  }
}
