package io.flowreel.runtime;

import io.flowreel.contract.Stages;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;

/**
 * Simulated compute, for load and chaos runs only and never the default: instead of running
 * networks, a stage reads every artifact the stage before it stored (so the hop's S3 reads and
 * hash checks happen as in a render), holds the task for a set time, and stores one artifact of a
 * set size. The publish stage stores only a manifest that says it is simulated, never a video.
 * Everything around the handler (delivery, locks, events, retries, fencing, cancellation) is the
 * real runtime, which is what such runs measure. Its engine is {@value #ENGINE}, so every event,
 * task and manifest it touches says so.
 */
public final class SimulatedStage implements StageHandler {

  public static final String ENGINE = "simulated";
  private static final Duration STOP_CHECK = Duration.ofMillis(50);

  private final Stage stage;
  private final Duration hold;
  private final int artifactBytes;

  public SimulatedStage(Stage stage, Duration hold, int artifactBytes) {
    if (hold.isNegative() || artifactBytes < 0) {
      throw new IllegalArgumentException("simulated compute needs a hold >= 0 and artifact bytes >= 0, got " + hold
          + " and " + artifactBytes);
    }
    this.stage = stage;
    this.hold = hold;
    this.artifactBytes = artifactBytes;
  }

  @Override
  public Stage stage() {
    return stage;
  }

  @Override
  public Optional<String> engine() {
    return Optional.of(ENGINE);
  }

  @Override
  public Result handle(RenderTask task, StageContext context) throws Exception {
    List<ArtifactRef> handed = task.getArtifacts();
    Stage previous = handed.isEmpty() ? null : handed.get(handed.size() - 1).getStage();
    for (ArtifactRef ref : handed) {
      if (ref.getStage() == previous) {
        context.store().get(ArtifactRefs.fromWire(ref));
      }
    }
    long until = System.nanoTime() + hold.toNanos();
    while (System.nanoTime() < until) {
      if (context.stopRequested()) {
        throw new CancellationException("stop requested during simulated compute");
      }
      Thread.sleep(Math.max(1, Math.min(STOP_CHECK.toMillis(), (until - System.nanoTime()) / 1_000_000)));
    }
    String jobId = task.getSpec().getJobId();
    String id = Stages.id(stage);
    if (stage == Stage.PUBLISH) {
      String key = "outputs/" + task.getSpec().getBatchId() + "/" + jobId + ".attempt-" + task.getAttempt()
          + ".simulated." + Artifact.Format.JSON.extension();
      return Result.of(context.store().put(context.outputBucket(), key, manifest(task), Artifact.Format.JSON, id,
          "manifest", List.of()));
    }
    String key = ArtifactKeys.key(jobId, task.getAttempt(), id, ENGINE, Artifact.Format.SAFETENSORS);
    return Result.of(context.store().put(context.workBucket(), key, bytes(jobId + "/" + id), Artifact.Format.SAFETENSORS,
        id, ENGINE, List.of()));
  }

  /** The same bytes on every delivery of a job's task, so a redelivery rewrites the object unchanged. */
  private byte[] bytes(String seed) {
    byte[] bytes = new byte[artifactBytes];
    new SplittableRandom(seed.hashCode()).nextBytes(bytes);
    return bytes;
  }

  private byte[] manifest(RenderTask task) {
    return ("{\"simulated\": true, \"jobId\": \"" + task.getSpec().getJobId() + "\", \"batchId\": \""
        + task.getSpec().getBatchId() + "\", \"attempt\": " + task.getAttempt() + ", \"holdMillis\": "
        + hold.toMillis() + ", \"artifactBytes\": " + artifactBytes + "}\n").getBytes(StandardCharsets.UTF_8);
  }
}
