package io.flowreel.submission;

import java.util.List;

/**
 * One job as the client wrote it (or the batch's defaults): every field may be unset (null), and
 * unset fields are filled in when the batch is resolved against its pack.
 */
public record JobRequest(
    String prompt,
    String negativePrompt,
    Long seed,
    Integer width,
    Integer height,
    Integer frames,
    Integer fps,
    Integer steps,
    Double guidance,
    Double shift,
    String pack,
    Integer priority,
    Boolean rewrite,
    Boolean upsample,
    String callbackUrl) {

  /** The JSON field names a job (and the defaults) may carry, in the order above. */
  public static final List<String> FIELDS = List.of("prompt", "negativePrompt", "seed", "width", "height",
      "frames", "fps", "steps", "guidance", "shift", "pack", "priority", "rewrite", "upsample", "callbackUrl");

  public static final JobRequest EMPTY =
      new JobRequest(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);

  /**
   * This job with each field it leaves unset taken from {@code defaults}, but for {@code callbackUrl}: the
   * defaults' is the batch's (where {@code batch.done} goes too), a job's own is that job's.
   */
  public JobRequest withDefaults(JobRequest defaults) {
    return new JobRequest(
        or(prompt, defaults.prompt),
        or(negativePrompt, defaults.negativePrompt),
        or(seed, defaults.seed),
        or(width, defaults.width),
        or(height, defaults.height),
        or(frames, defaults.frames),
        or(fps, defaults.fps),
        or(steps, defaults.steps),
        or(guidance, defaults.guidance),
        or(shift, defaults.shift),
        or(pack, defaults.pack),
        or(priority, defaults.priority),
        or(rewrite, defaults.rewrite),
        or(upsample, defaults.upsample),
        callbackUrl);
  }

  private static <T> T or(T own, T fallback) {
    return own != null ? own : fallback;
  }
}
