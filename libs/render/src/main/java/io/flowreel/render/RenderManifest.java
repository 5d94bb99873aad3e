package io.flowreel.render;

import java.util.Map;

/**
 * The JSON written next to every clip: enough to find, trust and reproduce the render. {@code engine}
 * ran the DiT (where the time goes); {@code engines} names the engine of each stage that ran networks.
 */
public record RenderManifest(
    String jobId,
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

  public record Outputs(String video, String poster) {}
}
