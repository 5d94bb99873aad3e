package io.flowreel.render;

import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.SamplerDefaults;
import io.flowreel.pack.SizeRules;
import java.util.ArrayList;
import java.util.List;

/**
 * What a studio asks for: one clip. Immutable; null sampler fields take the pack's defaults in
 * {@link #resolve}.
 */
public record RenderSpec(
    String jobId,
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
    boolean rewrite,
    boolean upsample) {

  public static final int MAX_PROMPT_CHARS = 2000;
  public static final int MAX_STEPS = 200;
  public static final double MAX_GUIDANCE = 30;
  public static final int MAX_FPS = 120;

  /** The spec with every default filled in and every value checked against the pack. */
  public record Resolved(RenderSpec spec, int steps, double guidance, double shift, SizeRules.Geometry geometry) {}

  public Resolved resolve(ModelPack pack) {
    SamplerDefaults defaults = pack.manifest().sampler();
    int s = steps != null ? steps : defaults.steps();
    double g = guidance != null ? guidance : defaults.guidance();
    double sh = shift != null ? shift : defaults.shift();
    List<String> problems = new ArrayList<>();
    if (jobId == null || !jobId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
      problems.add("job id '" + jobId + "' must be 1-128 letters, digits, '.', '_' or '-'");
    }
    if (prompt == null || prompt.isBlank()) {
      problems.add("prompt is empty");
    } else if (prompt.length() > MAX_PROMPT_CHARS) {
      problems.add("prompt has " + prompt.length() + " characters, at most " + MAX_PROMPT_CHARS + " are allowed");
    }
    if (negativePrompt != null && negativePrompt.length() > MAX_PROMPT_CHARS) {
      problems.add("negative prompt has " + negativePrompt.length() + " characters, at most " + MAX_PROMPT_CHARS);
    }
    if (s < 1 || s > MAX_STEPS) {
      problems.add("steps " + s + " must be between 1 and " + MAX_STEPS);
    }
    if (!(g >= 1 && g <= MAX_GUIDANCE)) {
      problems.add("guidance " + g + " must be between 1 (no guidance) and " + MAX_GUIDANCE);
    }
    if (!(sh > 0 && sh <= 100)) {
      problems.add("shift " + sh + " must be above 0 and at most 100");
    }
    if (fps < 1 || fps > MAX_FPS) {
      problems.add("fps " + fps + " must be between 1 and " + MAX_FPS);
    }
    SizeRules.Geometry geometry = null;
    try {
      geometry = pack.sizeRules().resolve(width, height, frames, upsample);
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    if (!problems.isEmpty()) {
      throw new InvalidRenderException(problems);
    }
    return new Resolved(this, s, g, sh, geometry);
  }
}
