package io.flowreel.contract;

/**
 * What one job renders, as the studio asked for it after the batch's and the pack's output defaults
 * are applied: the one domain type of a job's settings. Null sampler settings ({@code steps},
 * {@code guidance}, {@code shift}) take the pack's defaults where the job runs, so the pack decides
 * them, not the gateway. Each boundary has one mapper: the API request (gateway), Avro's
 * {@code JobSpec} ({@link JobSpecMapper}) and the clip's manifest ({@link RenderManifest}).
 */
public record RenderSettings(
    String prompt,
    String negativePrompt,
    long seed,
    int width,
    int height,
    int frames,
    int fps,
    Integer steps,
    Double guidance,
    Double shift,
    String pack,
    int priority,
    boolean rewrite,
    boolean upsample) {}
