package io.flowreel.denoiser;

import io.flowreel.artifacts.Conditioning;
import io.flowreel.artifacts.Latent;
import io.flowreel.contract.JobSpecMapper;
import io.flowreel.engine.InferenceEngine;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.RenderPlan;
import io.flowreel.render.DenoiseStage;
import io.flowreel.runtime.StageContext;
import io.flowreel.runtime.StageHandler;
import io.flowreel.sampling.GuidedDit;
import io.flowreel.sampling.SamplerState;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.text.TextConditioning;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * Samples the latent video exactly as {@link DenoiseStage} does (same noise, schedule, sampler and
 * guidance), storing the sampler's state every few steps so a redelivered task resumes where the
 * last one stopped instead of starting from noise. Reads the ENCODE stage's {@link Conditioning},
 * stores the {@link Latent} DECODE reads.
 */
public final class DenoiseHandler implements StageHandler {

  public static final int DEFAULT_CHECKPOINT_EVERY = 5;

  private final ModelPack pack;
  private final InferenceEngine engine;
  private final DenoiseStage denoise;
  private final int checkpointEvery;

  /** The pack's networks this stage runs: the DiT. */
  public static List<String> networks(ModelPack pack) {
    return List.of(pack.manifest().dit().network());
  }

  /**
   * {@code checkpointEvery}: steps between checkpoints; each costs one upload of the sampler's state
   * (the latent, plus UniPC's three history tensors of the same size).
   */
  public DenoiseHandler(ModelPack pack, InferenceEngine engine, int checkpointEvery) {
    if (checkpointEvery < 1) {
      throw new IllegalArgumentException("checkpoints need at least 1 step between them, got " + checkpointEvery);
    }
    this.pack = pack;
    this.engine = engine;
    this.denoise = new DenoiseStage(pack, engine);
    this.checkpointEvery = checkpointEvery;
  }

  @Override
  public Stage stage() {
    return Stage.DENOISE;
  }

  @Override
  public Optional<String> engine() {
    return Optional.of(engine.kind());
  }

  @Override
  public Result handle(RenderTask task, StageContext ctx) throws IOException {
    RenderPlan job = RenderPlan.of(task.getSpec().getJobId(), JobSpecMapper.settings(task.getSpec()), pack);
    Conditioning text = Conditioning.read(ctx, task);
    DenoiseCheckpoint checkpoints = new DenoiseCheckpoint(ctx, task);
    DenoiseCheckpoint.Run run = new DenoiseCheckpoint.Run(denoise.solver(), job.steps(), job.shift());
    FloatTensor noise = denoise.initialNoise(job);
    SamplerState start = checkpoints.find(run, noise.shape()).orElse(SamplerState.initial(noise));
    // Where sampling starts (0, or a checkpoint's step): the first step's time is measured from here.
    ctx.progress(start.completedSteps(), job.steps());
    GuidedDit dit = denoise.dit(job, new TextConditioning(text.positive()), new TextConditioning(text.negative()));
    FloatTensor latent = denoise.sampler(job).sample(start, dit, (total, state) -> {
      if (state.completedSteps() % checkpointEvery == 0 && state.completedSteps() < total) {
        store(checkpoints, run, state);
      }
      ctx.progress(state.completedSteps(), total);
    }, ctx::stopRequested);
    return Result.of(Latent.store(ctx, task, latent));
  }

  private static void store(DenoiseCheckpoint checkpoints, DenoiseCheckpoint.Run run, SamplerState state) {
    try {
      checkpoints.store(run, state);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store the checkpoint at step " + state.completedSteps(), e);
    }
  }
}
