package io.flowreel.tracker;

import java.util.List;

/**
 * One stage of a job, for the attempt that last ran it.
 *
 * @param attempt the attempt these values belong to
 * @param state where the stage stands
 * @param startedMillis first STARTED (or first event) time, epoch ms
 * @param finishedMillis time of the SUCCEEDED, FAILED, DEAD_LETTERED or CANCELLED event, or null
 * @param durationMillis time the stage spent on the task as the stage reported it, or null
 * @param step highest step seen (denoising step), or null
 * @param totalSteps steps in all, or null
 * @param progress fraction of the stage done, 0..1
 * @param retries transient retries (RETRYING events) of this attempt
 * @param error last error the stage reported, or null
 * @param artifacts what the stage stored, from its SUCCEEDED event: a retry from a later stage reuses them
 */
public record StageStatus(
    int attempt,
    StageState state,
    Long startedMillis,
    Long finishedMillis,
    Long durationMillis,
    Integer step,
    Integer totalSteps,
    double progress,
    int retries,
    String error,
    List<StoredArtifact> artifacts) {

  public StageStatus {
    artifacts = List.copyOf(artifacts == null ? List.of() : artifacts);
  }

  static StageStatus started(int attempt, long timeMillis) {
    return new StageStatus(attempt, StageState.RUNNING, timeMillis, null, null, null, null, 0.0, 0, null, List.of());
  }

  StageStatus withState(StageState newState) {
    return new StageStatus(attempt, newState, startedMillis, finishedMillis, durationMillis, step, totalSteps,
        progress, retries, error, artifacts);
  }

  StageStatus withProgress(Integer newStep, Integer newTotalSteps, double newProgress) {
    return new StageStatus(attempt, state, startedMillis, finishedMillis, durationMillis, newStep, newTotalSteps,
        newProgress, retries, error, artifacts);
  }

  StageStatus withRetry(String retryError) {
    return new StageStatus(attempt, StageState.RETRYING, startedMillis, finishedMillis, durationMillis, step,
        totalSteps, progress, retries + 1, retryError, artifacts);
  }

  StageStatus finished(StageState finalState, long timeMillis, Long duration, String finalError,
      List<StoredArtifact> stored) {
    double done = finalState == StageState.SUCCEEDED ? 1.0 : progress;
    return new StageStatus(attempt, finalState, startedMillis, timeMillis, duration, step, totalSteps, done,
        retries, finalError, stored);
  }
}
