package io.flowreel.handlers;

import io.flowreel.render.RenderManifest;
import java.util.Map;

/**
 * The JSON stored next to a published clip: {@link RenderManifest}'s fields plus where the clip
 * came from on the bus (batch, tenant, attempt) and where its files are. Written last, so its
 * presence means a finished clip, and its attempt fences later publishes.
 */
public record PublishedManifest(
    String jobId,
    String batchId,
    String tenant,
    int attempt,
    String prompt,
    String rewrittenPrompt,
    String negativePrompt,
    long seed,
    int width,
    int height,
    int frames,
    int fps,
    int steps,
    double guidance,
    double shift,
    boolean upsampled,
    RenderManifest.Pack pack,
    String engine,
    Map<String, String> engines,
    Map<String, Long> stageMillis,
    Outputs outputs) {

  /** Object keys in the output bucket. */
  public record Outputs(String bucket, String video, String poster, String manifest) {}
}
