package io.flowreel.handlers;

import io.flowreel.messages.JobSpec;
import io.flowreel.render.RenderSpec;

/** The wire spec as the render library's spec, so both paths resolve defaults and sizes alike. */
final class JobSpecs {

  private JobSpecs() {}

  static RenderSpec renderSpec(JobSpec spec) {
    return new RenderSpec(spec.getJobId(), spec.getPrompt(), spec.getNegativePrompt(), spec.getSeed(),
        spec.getWidth(), spec.getHeight(), spec.getFrames(), spec.getFps(), spec.getSteps(), spec.getGuidance(),
        spec.getShift(), spec.getRewrite(), spec.getUpsample());
  }
}
