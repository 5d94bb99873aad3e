package io.flowreel.render;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.RenderPlan;
import io.flowreel.sampling.GuidedDit;
import io.flowreel.sampling.LatentSampler;
import io.flowreel.sampling.NoiseGenerator;
import io.flowreel.sampling.SamplerState;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.text.TextConditioning;
import java.util.function.BooleanSupplier;

/** Samples the latent video with the DiT: seeded noise, the pack's solver on its shifted schedule, guidance. */
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

  /** The pack's solver ({@code sampler.solver}), name as in {@link LatentSampler#of}. */
  public String solver() {
    return pack.manifest().sampler().solver();
  }

  public LatentSampler sampler(RenderPlan job) {
    return LatentSampler.of(solver(), job.steps(), job.shift());
  }

  /** The DiT with classifier-free guidance between the prompt's conditioning and the negative prompt's. */
  public GuidedDit dit(RenderPlan job, TextConditioning positive, TextConditioning negative) {
    return new GuidedDit(engine.network(pack.manifest().dit().network()), job.guidance(), positive, negative);
  }

  /** Samples from the job's noise to its final latent; the states handed to {@code listener} resume the run. */
  public FloatTensor denoise(RenderPlan job, TextEncodeStage.Conditioning text, LatentSampler.StateListener listener,
      BooleanSupplier cancelled) {
    return sampler(job).sample(SamplerState.initial(initialNoise(job)), dit(job, text.positive(), text.negative()),
        listener, cancelled);
  }
}
