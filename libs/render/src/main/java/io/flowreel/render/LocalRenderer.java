package io.flowreel.render;

import io.flowreel.contract.RenderManifest;
import io.flowreel.contract.RenderSettings;
import io.flowreel.contract.Stages;
import io.flowreel.engine.InferenceEngine;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.RenderPlan;
import io.flowreel.prompts.PromptRewriter;
import io.flowreel.prompts.RuleBasedPromptRewriter;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tiling.EightBitFrames;
import io.flowreel.tiling.FrameChunkSink;
import io.flowreel.tiling.TiledDecoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Every stage in one process, without Kafka or S3: decoded frames stream through the upsampler
 * into the MP4 writer, so no stage holds the whole video in memory. Decoded frames are rounded to
 * 8 bits before the upsampler sees them, as they are stored on the bus ({@link EightBitFrames}).
 */
public final class LocalRenderer {

  /** What a progress display needs to know. */
  public interface Progress {
    Progress NONE = new Progress() {
      @Override
      public void stage(String jobId, Stage stage) {}

      @Override
      public void step(String jobId, int completed, int total) {}
    };

    void stage(String jobId, Stage stage);

    void step(String jobId, int completed, int total);
  }

  private final ModelPack pack;
  private final InferenceEngine engine;
  private final PromptRewriter rewriter;
  private final TextEncodeStage encode;
  private final DenoiseStage denoise;
  private final DecodeStage decode;
  private final UpsampleStage upsample;
  private final PublishStage publish = new PublishStage();

  public LocalRenderer(ModelPack pack, InferenceEngine engine, PromptRewriter rewriter, TiledDecoder.Options decoding) {
    this.pack = pack;
    this.engine = engine;
    this.rewriter = rewriter;
    this.encode = new TextEncodeStage(pack, engine);
    this.denoise = new DenoiseStage(pack, engine);
    this.decode = new DecodeStage(pack, engine, decoding);
    // A pack without an upsampler (Wan2.1) renders at the decoder's size; RenderPlan refuses upsampling.
    this.upsample = pack.manifest().hasUpsampler() ? new UpsampleStage(pack, engine) : null;
  }

  public LocalRenderer(ModelPack pack, InferenceEngine engine) {
    this(pack, engine, new RuleBasedPromptRewriter(), TiledDecoder.Options.defaults(pack.manifest().decoder()));
  }

  /** Renders {@code job}, a plan made against this renderer's pack. */
  public RenderManifest render(RenderPlan job, Path outDir, Progress progress, BooleanSupplier cancelled)
      throws IOException {
    RenderSettings spec = job.settings();
    String id = job.jobId();
    Map<Stage, Long> nanos = new EnumMap<>(Stage.class);

    progress.stage(id, Stage.REWRITE);
    long t0 = System.nanoTime();
    String prompt = spec.rewrite() ? rewriter.rewrite(spec.prompt(), spec.seed()) : spec.prompt();
    nanos.put(Stage.REWRITE, System.nanoTime() - t0);

    progress.stage(id, Stage.ENCODE);
    t0 = System.nanoTime();
    TextEncodeStage.Conditioning text = encode.encode(prompt, spec.negativePrompt());
    nanos.put(Stage.ENCODE, System.nanoTime() - t0);

    progress.stage(id, Stage.DENOISE);
    t0 = System.nanoTime();
    FloatTensor latent = denoise.denoise(job, text, (total, state) -> progress.step(id, state.completedSteps(), total),
        cancelled);
    nanos.put(Stage.DENOISE, System.nanoTime() - t0);

    var g = job.geometry();
    progress.stage(id, Stage.DECODE);
    try (PublishStage.Clip clip = publish.open(outDir, id, g.width(), g.height(), spec.fps(), g.frames())) {
      FrameChunkSink out = timed(clip.frames(), Stage.PUBLISH, nanos);
      if (g.upsample()) {
        out = EightBitFrames.roundTrip(timed(upsample.into(out), Stage.UPSAMPLE, nanos));
      }
      t0 = System.nanoTime();
      decode.decode(latent, out);
      // The sinks ran inside decode(); what is left of its time is the decoder's own.
      long downstream = nanos.getOrDefault(Stage.UPSAMPLE, 0L) + nanos.getOrDefault(Stage.PUBLISH, 0L);
      nanos.put(Stage.DECODE, System.nanoTime() - t0 - downstream);
      if (g.upsample()) {
        nanos.put(Stage.UPSAMPLE, nanos.get(Stage.UPSAMPLE) - nanos.get(Stage.PUBLISH));
      }

      progress.stage(id, Stage.PUBLISH);
      long publishStart = System.nanoTime();
      return clip.finish(outputs -> {
        nanos.merge(Stage.PUBLISH, System.nanoTime() - publishStart, Long::sum);
        Map<String, Long> millis = new LinkedHashMap<>();
        nanos.forEach((stage, ns) -> millis.put(Stages.id(stage), ns / 1_000_000));
        Map<String, String> engines = new LinkedHashMap<>();
        for (Stage stage : nanos.keySet()) {
          if (stage != Stage.REWRITE && stage != Stage.PUBLISH) {
            engines.put(Stages.id(stage), engine.kind());
          }
        }
        return job.manifest(prompt, pack, engine.kind(), engines, millis, outputs);
      });
    }
  }

  /** Adds the time {@code sink} spends (including whatever it feeds) to {@code stage}. */
  private static FrameChunkSink timed(FrameChunkSink sink, Stage stage, Map<Stage, Long> nanos) {
    return (first, frames) -> {
      long t0 = System.nanoTime();
      sink.accept(first, frames);
      nanos.merge(stage, System.nanoTime() - t0, Long::sum);
    };
  }
}
