package io.flowreel.artifacts;

import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.StageContext;
import io.flowreel.tensor.FloatTensor;
import java.io.IOException;
import java.util.Map;

/** What DENOISE hands DECODE: the sampled latent video {@code [1, C, T, H, W]}, artifact and tensor "latent". */
public final class Latent {

  public static final String NAME = "latent";

  private Latent() {}

  public static Artifact store(StageContext ctx, RenderTask task, FloatTensor latent) throws IOException {
    return StoredTensors.store(ctx, task, Stage.DENOISE, NAME, Map.of(NAME, latent));
  }

  public static FloatTensor read(StageContext ctx, RenderTask task) throws IOException {
    return StoredTensors.readFloat(ctx, task, NAME, NAME);
  }
}
