package io.flowreel.tracker;

import io.flowreel.messages.JobSpec;

/**
 * What a job renders, as the gateway submitted it (from the QUEUED event's spec), without Avro
 * types. Null sampler fields take the pack's defaults. {@link #toWire} rebuilds the wire spec, so
 * a retry renders exactly what was submitted.
 */
public record SubmittedSpec(
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
    boolean upsample) {

  public static SubmittedSpec of(JobSpec spec) {
    return new SubmittedSpec(spec.getPrompt(), spec.getNegativePrompt(), spec.getSeed(), spec.getWidth(),
        spec.getHeight(), spec.getFrames(), spec.getFps(), spec.getSteps(), spec.getGuidance(), spec.getShift(),
        spec.getPack(), spec.getPriority(), spec.getRewrite(), spec.getUpsample());
  }

  public JobSpec toWire(String jobId, String batchId, String tenant) {
    return JobSpec.newBuilder()
        .setJobId(jobId)
        .setBatchId(batchId)
        .setTenant(tenant)
        .setPrompt(prompt)
        .setNegativePrompt(negativePrompt)
        .setSeed(seed)
        .setWidth(width)
        .setHeight(height)
        .setFrames(frames)
        .setFps(fps)
        .setSteps(steps)
        .setGuidance(guidance)
        .setShift(shift)
        .setPack(pack)
        .setPriority(priority)
        .setRewrite(rewrite)
        .setUpsample(upsample)
        .build();
  }
}
