package io.flowreel.service.testing;

import io.flowreel.contract.Stages;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.ArtifactRefs;
import java.util.ArrayList;
import java.util.List;

/** Jobs and tasks as the gateway sends them, for the stage services' handler tests. */
public final class TestTasks {

  private TestTasks() {}

  public static JobSpec spec(String jobId, int width, int height, int frames, int steps, boolean rewrite,
      boolean upsample) {
    return JobSpec.newBuilder().setJobId(jobId).setBatchId("batch-1").setTenant("studio").setPrompt(
        "a red ball bouncing on a blue floor").setNegativePrompt(null).setSeed(42).setWidth(width).setHeight(height)
        .setFrames(frames).setFps(8).setSteps(steps).setGuidance(null).setShift(null).setPack("tiny")
        .setRewrite(rewrite).setUpsample(upsample).build();
  }

  /** 64x64, 5 frames, 4 steps, rewritten and upsampled. */
  public static JobSpec spec(String jobId) {
    return spec(jobId, 64, 64, 5, 4, true, true);
  }

  /** A fresh task as the gateway sends it: the slip lists the stages the spec needs. */
  public static RenderTask task(JobSpec spec, int attempt) {
    return RenderTask.newBuilder().setSpec(spec).setAttempt(attempt)
        .setRoutingSlip(new ArrayList<>(Stages.routingSlip(spec.getRewrite(), spec.getUpsample())))
        .setCreatedAtMillis(0).build();
  }

  /** {@code task} carrying {@code artifacts} too, as the runtime appends a stage's outputs. */
  public static RenderTask with(RenderTask task, Artifact... artifacts) {
    List<ArtifactRef> refs = new ArrayList<>(task.getArtifacts());
    for (Artifact a : artifacts) {
      refs.add(ArtifactRefs.toWire(a));
    }
    return RenderTask.newBuilder(task).setArtifacts(refs).build();
  }
}
