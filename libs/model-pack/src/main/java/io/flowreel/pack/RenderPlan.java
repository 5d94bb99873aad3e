package io.flowreel.pack;

import io.flowreel.contract.Ids;
import io.flowreel.contract.RenderManifest;
import io.flowreel.contract.RenderSettings;
import io.flowreel.pack.PackManifest.SamplerDefaults;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One job's settings checked against the pack that renders it, with the pack's sampler defaults
 * filled in and the sizes at every stage worked out. The gateway makes one to refuse bad input
 * before anything runs; every stage makes the same one, so they all resolve alike.
 * {@code negativePrompt} is the one guidance steers away from (null: none, the empty prompt).
 */
public record RenderPlan(String jobId, RenderSettings settings, int steps, double guidance, double shift,
    String negativePrompt, SizeRules.Geometry geometry) {

  public static final int MAX_PROMPT_CHARS = 2000;
  public static final int MAX_STEPS = 200;
  public static final double MAX_GUIDANCE = 30;
  public static final int MAX_SHIFT = 100;
  public static final int MAX_FPS = 120;

  /** The plan, or {@link InvalidRenderException} naming every problem (and the nearest valid sizes). */
  public static RenderPlan of(String jobId, RenderSettings s, ModelPack pack) {
    SamplerDefaults defaults = pack.manifest().sampler();
    int steps = s.steps() != null ? s.steps() : defaults.steps();
    double guidance = s.guidance() != null ? s.guidance() : defaults.guidance();
    double shift = s.shift() != null ? s.shift() : defaults.shift();
    List<String> problems = new ArrayList<>();
    if (s.pack() != null && !s.pack().equals(pack.name())) {
      // A stage renders with the one pack it loaded; another pack's job would get the wrong networks.
      problems.add("the job asks for pack '" + s.pack() + "', but this renderer has pack '" + pack.name() + "'");
    }
    if (!Ids.isJobId(jobId)) {
      problems.add("job id '" + jobId + "' must be 1-128 letters, digits, '.', '_' or '-'");
    }
    if (s.prompt() == null || s.prompt().isBlank()) {
      problems.add("prompt is empty");
    } else if (s.prompt().length() > MAX_PROMPT_CHARS) {
      problems.add("prompt has " + s.prompt().length() + " characters, at most " + MAX_PROMPT_CHARS
          + " are allowed");
    } else {
      PromptText.refusal(s.prompt()).ifPresent(why -> problems.add("prompt has " + why));
    }
    if (s.negativePrompt() != null && s.negativePrompt().length() > MAX_PROMPT_CHARS) {
      problems.add("negative prompt has " + s.negativePrompt().length() + " characters, at most " + MAX_PROMPT_CHARS);
    } else if (s.negativePrompt() != null) {
      PromptText.refusal(s.negativePrompt()).ifPresent(why -> problems.add("negative prompt has " + why));
    }
    if (steps < 1 || steps > MAX_STEPS) {
      problems.add("steps " + steps + " must be between 1 and " + MAX_STEPS);
    }
    if (!(guidance >= 1 && guidance <= MAX_GUIDANCE)) {
      problems.add("guidance " + guidance + " must be between 1 (no guidance) and " + MAX_GUIDANCE);
    }
    if (!(shift > 0 && shift <= MAX_SHIFT)) {
      problems.add("shift " + shift + " must be above 0 and at most " + MAX_SHIFT);
    }
    if (s.fps() < 1 || s.fps() > MAX_FPS) {
      problems.add("fps " + s.fps() + " must be between 1 and " + MAX_FPS);
    }
    SizeRules.Geometry geometry = null;
    try {
      geometry = pack.sizeRules().resolve(s.width(), s.height(), s.frames(), s.upsample());
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    if (!problems.isEmpty()) {
      throw new InvalidRenderException(problems);
    }
    return new RenderPlan(jobId, s, steps, guidance, shift, negativePrompt(s.negativePrompt(), pack), geometry);
  }

  /**
   * The job's negative prompt, or the pack's default ({@code sampler.negativePrompt}, maybe none)
   * when the job gives none. An empty one given by the job is kept: it asks for no negative prompt.
   */
  public static String negativePrompt(String asked, ModelPack pack) {
    return asked != null ? asked : pack.manifest().sampler().negativePrompt();
  }

  /**
   * The manifest of the clip this plan renders (the manifest's one mapper): what was asked, what the
   * pack decided, which engines ran and how long each stage took.
   */
  public RenderManifest manifest(String rewrittenPrompt, ModelPack pack, String engine, Map<String, String> engines,
      Map<String, Long> stageMillis, RenderManifest.Outputs outputs) {
    return new RenderManifest(jobId, null, null, null, settings.prompt(), rewrittenPrompt,
        negativePrompt, settings.seed(), geometry.width(), geometry.height(), geometry.frames(),
        settings.fps(), steps, guidance, shift, geometry.upsample(),
        new RenderManifest.Pack(pack.name(), pack.manifest().version(), pack.fileHashes()), engine, engines,
        stageMillis, outputs);
  }
}
