package io.flowreel.messages.codec;

import io.flowreel.messages.ArtifactFormat;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.ControlAction;
import io.flowreel.messages.ControlCommand;
import io.flowreel.messages.ControlTargetKind;
import io.flowreel.messages.DeadLetter;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.messages.TensorRef;
import java.util.List;

/** One message of each type with every field set, optional ones included. */
final class Samples {

  private Samples() {
  }

  static JobSpec jobSpec() {
    return JobSpec.newBuilder()
        .setJobId("job-1").setBatchId("batch-1").setTenant("studio-a")
        .setPrompt("a lighthouse in a storm, ünïcode ✓")
        .setNegativePrompt("blurry")
        .setSeed(-42L).setWidth(256).setHeight(144).setFrames(13).setFps(24)
        .setSteps(20).setGuidance(5.5).setShift(3.0)
        .setPack("tiny").setPriority(2).setUpsample(false).setRewrite(true)
        .build();
  }

  static ArtifactRef latent() {
    return ArtifactRef.newBuilder()
        .setStage(Stage.DENOISE).setName("latent").setBucket("flowreel-work")
        .setKey("jobs/job-1/denoise/latent.safetensors")
        .setSha256("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
        .setSize(1L << 33).setFormat(ArtifactFormat.SAFETENSORS)
        .setTensors(List.of(new TensorRef("latent", "F32", List.of(1L, 16L, 4L, 18L, 32L))))
        .build();
  }

  static RenderTask renderTask() {
    return RenderTask.newBuilder()
        .setSpec(jobSpec()).setAttempt(3)
        .setRoutingSlip(List.of(Stage.DECODE, Stage.PUBLISH))
        .setArtifacts(List.of(latent()))
        .setRewrittenPrompt("a tall white lighthouse, waves crashing, dusk")
        .setDeliveryAttempt(2).setCheckpointStep(15)
        .setCreatedAtMillis(1_760_000_000_000L).setTraceId("trace-7")
        .build();
  }

  static StageEvent stageEvent() {
    return StageEvent.newBuilder()
        .setEventId("ev-1").setJobId("job-1").setBatchId("batch-1").setTenant("studio-a")
        .setStage(Stage.DENOISE).setAttempt(3).setType(StageEventType.SUCCEEDED)
        .setProgress(1.0).setStep(20).setTotalSteps(20).setError("none")
        .setArtifacts(List.of(latent())).setTimeMillis(1_760_000_001_000L)
        .setWorker("denoiser-0").setDurationMillis(61_000L)
        .build();
  }

  static ControlCommand controlCommand() {
    return ControlCommand.newBuilder()
        .setTargetId("batch-1").setTargetKind(ControlTargetKind.BATCH)
        .setAction(ControlAction.PAUSE).setReason("operator").setTimeMillis(1_760_000_002_000L)
        .build();
  }

  static DeadLetter deadLetter() {
    return DeadLetter.newBuilder()
        .setTask(renderTask()).setStage(Stage.DECODE)
        .setError("out of memory").setErrorClass("java.lang.OutOfMemoryError")
        .setDeliveryAttempts(5).setTimeMillis(1_760_000_003_000L).setWorker("decoder-1")
        .build();
  }
}
