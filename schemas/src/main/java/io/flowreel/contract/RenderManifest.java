package io.flowreel.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * The JSON written next to every clip: enough to find, trust and reproduce the render. A clip
 * rendered on the farm also names its batch, tenant and attempt (the attempt fences later
 * publishes) and the bucket of its files; a local render leaves those out. {@code engine} ran the
 * DiT (where the time goes); {@code engines} names the engine of each stage that ran networks.
 */
public record RenderManifest(
    String jobId,
    @JsonInclude(JsonInclude.Include.NON_NULL) String batchId,
    @JsonInclude(JsonInclude.Include.NON_NULL) String tenant,
    @JsonInclude(JsonInclude.Include.NON_NULL) Integer attempt,
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
    Pack pack,
    String engine,
    Map<String, String> engines,
    Map<String, Long> stageMillis,
    Outputs outputs) {

  public record Pack(String name, String version, Map<String, String> sha256) {}

  /** File names beside the manifest (local) or object keys in {@code bucket} (farm). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Outputs(String bucket, String video, String poster, String manifest) {}

  /** This manifest as published by {@code attempt} of a job of {@code batchId}. */
  public RenderManifest published(String batchId, String tenant, int attempt) {
    return new RenderManifest(jobId, batchId, tenant, attempt, prompt, rewrittenPrompt, negativePrompt, seed, width,
        height, frames, fps, steps, guidance, shift, upsampled, pack, engine, engines, stageMillis, outputs);
  }
}
