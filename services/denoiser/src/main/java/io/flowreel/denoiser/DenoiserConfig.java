package io.flowreel.denoiser;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The denoiser's own setting, beside the ones every stage reads (StageServiceConfig). */
@ConfigMapping(prefix = "flowreel")
public interface DenoiserConfig {

  /**
   * Denoising steps between two stored checkpoints ({@code FLOWREEL_CHECKPOINT_EVERY}); each costs
   * one latent upload.
   */
  @WithDefault("" + DenoiseHandler.DEFAULT_CHECKPOINT_EVERY)
  int checkpointEvery();
}
