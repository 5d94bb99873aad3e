package io.flowreel.contract;

import io.flowreel.messages.JobSpec;

/** {@link RenderSettings} to and from the wire's {@link JobSpec}, which adds the job's ids and tenant. */
public final class JobSpecMapper {

  private JobSpecMapper() {}

  public static JobSpec toWire(String jobId, String batchId, String tenant, RenderSettings s) {
    return JobSpec.newBuilder()
        .setJobId(jobId)
        .setBatchId(batchId)
        .setTenant(tenant)
        .setPrompt(s.prompt())
        .setNegativePrompt(s.negativePrompt())
        .setSeed(s.seed())
        .setWidth(s.width())
        .setHeight(s.height())
        .setFrames(s.frames())
        .setFps(s.fps())
        .setSteps(s.steps())
        .setGuidance(s.guidance())
        .setShift(s.shift())
        .setPack(s.pack())
        .setPriority(s.priority())
        .setRewrite(s.rewrite())
        .setUpsample(s.upsample())
        .build();
  }

  public static RenderSettings settings(JobSpec spec) {
    return new RenderSettings(spec.getPrompt(), spec.getNegativePrompt(), spec.getSeed(), spec.getWidth(),
        spec.getHeight(), spec.getFrames(), spec.getFps(), spec.getSteps(), spec.getGuidance(), spec.getShift(),
        spec.getPack(), spec.getPriority(), spec.getRewrite(), spec.getUpsample());
  }
}
