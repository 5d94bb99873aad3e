package io.flowreel.gateway;

import io.flowreel.contract.JobSpecMapper;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.contract.Stages;
import io.flowreel.contract.Topics;
import io.flowreel.tracker.JobState;
import io.flowreel.tracker.JobStatus;
import io.flowreel.tracker.StageState;
import io.flowreel.tracker.StageStatus;
import io.flowreel.tracker.StoredArtifact;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * How a finished job is re-run from one stage: the task of its next attempt, carrying the stored
 * artifacts of every earlier stage so those stages do not run again. Pure: it reads the tracker's
 * status of the job and refuses, with the reason, what cannot be retried.
 */
public final class RetryPlan {

  private RetryPlan() {}

  /**
   * The task that re-runs {@code job} from {@code from} (a stage name, any case), or from the stage
   * that failed or was cancelled when {@code from} is null.
   *
   * @throws ApiException 409 when the job is not finished, was cancelled while queued and its task is still
   *     queued, or an earlier stage left nothing to reuse,
   *     400 when {@code from} is not a stage this job runs
   */
  public static RenderTask of(JobStatus job, String from) {
    if (!job.state().isTerminal()) {
      throw ApiException.conflict("job " + job.jobId() + " is " + job.state() + (job.currentStage() != null
          ? " at " + job.currentStage() : "") + ": only a finished job can be retried (cancel it first)");
    }
    if (job.dropPending()) {
      // Its old task would outlive the new attempt's fencing: once the retried job is done and its commands are
      // tombstoned, nothing would stop a stage from running it.
      throw ApiException.conflict("job " + job.jobId() + " was cancelled while queued and its task still waits in "
          + "a stage queue: retry it once the stage has dropped that task");
    }
    if (job.spec() == null) {
      throw ApiException.conflict("job " + job.jobId() + " has no recorded spec to re-run");
    }
    List<Stage> slip = Stages.routingSlip(job.spec().rewrite(), job.spec().upsample());
    Stage start = from != null ? named(from, slip) : stageToRetry(job, slip);

    List<ArtifactRef> reused = new ArrayList<>();
    Map<String, Long> stageMillis = new LinkedHashMap<>();
    for (Stage earlier : slip.subList(0, slip.indexOf(start))) {
      StageStatus done = job.stages().get(earlier.name());
      if (done == null || done.state() != StageState.SUCCEEDED) {
        throw ApiException.conflict("stage " + earlier + " of job " + job.jobId() + " has no stored result to reuse ("
            + (done == null ? "it did not run" : done.state().name().toLowerCase(Locale.ROOT))
            + "): retry from " + earlier + " or earlier");
      }
      done.artifacts().stream().map(StoredArtifact::toWire).forEach(reused::add);
      if (done.durationMillis() != null) {
        stageMillis.put(Stages.id(earlier), done.durationMillis());
      }
    }
    return RenderTask.newBuilder()
        .setSpec(JobSpecMapper.toWire(job.jobId(), job.batchId(), job.tenant(), job.spec()))
        .setAttempt(job.attempt() + 1)
        .setRoutingSlip(slip.subList(slip.indexOf(start), slip.size()))
        .setArtifacts(reused)
        .setRewrittenPrompt(slip.indexOf(start) > slip.indexOf(Stage.REWRITE) ? job.rewrittenPrompt() : null)
        .setStageMillis(stageMillis)
        .setCreatedAtMillis(job.submittedMillis() > 0 ? job.submittedMillis() : System.currentTimeMillis())
        .build();
  }

  private static Stage named(String from, List<Stage> slip) {
    String wanted = from.trim().toUpperCase(Locale.ROOT);
    Stage stage = slip.stream().filter(s -> s.name().equals(wanted)).findFirst().orElse(null);
    if (stage == null) {
      throw ApiException.badRequest("'" + from + "' is not a stage of this job; it runs "
          + slip.stream().map(Stages::id).collect(Collectors.joining(", ")));
    }
    return stage;
  }

  /** The first stage of the slip that did not succeed: where the job failed or was cancelled. */
  private static Stage stageToRetry(JobStatus job, List<Stage> slip) {
    if (job.state() == JobState.SUCCEEDED) {
      throw ApiException.conflict("job " + job.jobId() + " succeeded: name the stage to re-run from with 'from' ("
          + slip.stream().map(Stages::id).collect(Collectors.joining(", ")) + ")");
    }
    return slip.stream()
        .filter(s -> job.stages().get(s.name()) == null || job.stages().get(s.name()).state() != StageState.SUCCEEDED)
        .findFirst()
        .orElse(slip.get(0));
  }
}
