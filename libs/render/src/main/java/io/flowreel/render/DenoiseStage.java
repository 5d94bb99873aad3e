package io.flowreel.render;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.RenderPlan;
import io.flowreel.sampling.FlowMatchingSampler;
import io.flowreel.sampling.GuidedDit;
import io.flowreel.sampling.NoiseGenerator;
import io.flowreel.tensor.FloatTensor;
import java.util.function.BooleanSupplier;

/** Samples the latent video with the DiT: seeded noise, shifted schedule, Euler steps, guidance. */
public final class DenoiseStage {

  private final ModelPack pack;
  private final InferenceEngine engine;

  public DenoiseStage(ModelPack pack, InferenceEngine engine) {
    this.pack = pack;
    this.engine = engine;
  }

  /** The job's initial noise {@code [1, C, T, H, W]}: a pure function of the seed and the shape. */
  public FloatTensor initialNoise(RenderPlan job) {
    var g = job.geometry();
    return NoiseGenerator.gaussian(job.settings().seed(), NoiseGenerator.INITIAL_LATENT,
        1, pack.manifest().latent().channels(), g.latentFrames(), g.latentHeight(), g.latentWidth());
  }

  public FloatTensor denoise(RenderPlan job, TextEncodeStage.Conditioning text,
      FlowMatchingSampler.StepListener listener, BooleanSupplier cancelled) {
    GuidedDit dit = new GuidedDit(engine.network(pack.manifest().dit().network()), job.guidance(),
        text.positive(), text.negative());
    return new FlowMatchingSampler(job.steps(), job.shift())
        .sample(initialNoise(job), 0, dit, listener, cancelled);
  }
}
