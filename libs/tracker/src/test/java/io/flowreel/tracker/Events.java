package io.flowreel.tracker;

import io.flowreel.messages.ArtifactFormat;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.messages.TensorRef;
import java.util.List;

/** Builds the stage events the tests feed the tracker; ids and times count up per instance. */
final class Events {

  private final String jobId;
  private final String batchId;
  private long clock = 1_000;
  private int ids;

  Events(String jobId, String batchId) {
    this.jobId = jobId;
    this.batchId = batchId;
  }

  StageEvent event(Stage stage, int attempt, StageEventType type) {
    return builder(stage, attempt, type).build();
  }

  StageEvent.Builder builder(Stage stage, int attempt, StageEventType type) {
    clock += 10;
    return StageEvent.newBuilder()
        .setEventId(jobId + "-e" + (++ids))
        .setJobId(jobId)
        .setBatchId(batchId)
        .setTenant("studio-a")
        .setStage(stage)
        .setAttempt(attempt)
        .setType(type)
        .setTimeMillis(clock);
  }

  StageEvent progress(Stage stage, int attempt, int step, int totalSteps) {
    return builder(stage, attempt, StageEventType.PROGRESS).setStep(step).setTotalSteps(totalSteps).build();
  }

  StageEvent succeeded(Stage stage, int attempt) {
    return builder(stage, attempt, StageEventType.SUCCEEDED).setDurationMillis(5L)
        .setArtifacts(List.of(artifact(stage, attempt))).build();
  }

  /** A stored latent-like tensor artifact of {@code stage}. */
  ArtifactRef artifact(Stage stage, int attempt) {
    return ArtifactRef.newBuilder()
        .setStage(stage)
        .setName(stage.name().toLowerCase())
        .setBucket("flowreel-work")
        .setKey("jobs/" + jobId + "/attempt-" + attempt + "/" + stage.name().toLowerCase() + "/out.safetensors")
        .setSha256("cd".repeat(32))
        .setSize(4096)
        .setFormat(ArtifactFormat.SAFETENSORS)
        .setTensors(List.of(TensorRef.newBuilder().setName("latent").setDtype("F32").setShape(List.of(1L, 8L, 5L))
            .build()))
        .build();
  }

  /** The gateway's QUEUED: the job's spec, addressed to the stage the attempt starts at. */
  StageEvent queued(Stage stage, int attempt) {
    JobSpec spec = JobSpec.newBuilder().setJobId(jobId).setBatchId(batchId).setTenant("studio-a")
        .setPrompt("a red ball").setSeed(7).setWidth(256).setHeight(256).setFrames(17).setFps(8).setPack("tiny")
        .build();
    return builder(stage, attempt, StageEventType.QUEUED).setSpec(spec).build();
  }

  StageEvent failed(Stage stage, int attempt, String error) {
    return builder(stage, attempt, StageEventType.FAILED).setError(error).build();
  }

  StageEvent published(int attempt) {
    ArtifactRef video = ArtifactRef.newBuilder()
        .setStage(Stage.PUBLISH)
        .setName("video")
        .setBucket("flowreel")
        .setKey("jobs/" + jobId + "/" + attempt + "/publish/video.mp4")
        .setSha256("ab".repeat(32))
        .setSize(1234)
        .setFormat(ArtifactFormat.MP4)
        .build();
    return builder(Stage.PUBLISH, attempt, StageEventType.SUCCEEDED)
        .setArtifacts(List.of(video))
        .setDurationMillis(7L)
        .build();
  }

  /** STARTED and SUCCEEDED of one stage, with denoising steps for DENOISE. */
  List<StageEvent> runStage(Stage stage, int attempt) {
    if (stage == Stage.PUBLISH) {
      return List.of(event(stage, attempt, StageEventType.STARTED), published(attempt));
    }
    if (stage == Stage.DENOISE) {
      return List.of(event(stage, attempt, StageEventType.STARTED), progress(stage, attempt, 10, 20),
          progress(stage, attempt, 20, 20), succeeded(stage, attempt));
    }
    return List.of(event(stage, attempt, StageEventType.STARTED), succeeded(stage, attempt));
  }
}
