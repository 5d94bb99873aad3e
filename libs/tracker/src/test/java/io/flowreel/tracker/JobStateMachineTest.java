package io.flowreel.tracker;

import io.flowreel.contract.JobSpecMapper;
import io.flowreel.contract.Stages;
import static io.flowreel.messages.Stage.DECODE;
import static io.flowreel.messages.Stage.DENOISE;
import static io.flowreel.messages.Stage.ENCODE;
import static io.flowreel.messages.Stage.PUBLISH;
import static io.flowreel.messages.Stage.REWRITE;
import static io.flowreel.messages.Stage.UPSAMPLE;
import static io.flowreel.messages.StageEventType.CANCELLED;
import static io.flowreel.messages.StageEventType.DEAD_LETTERED;
import static io.flowreel.messages.StageEventType.QUEUED;
import static io.flowreel.messages.StageEventType.RETRYING;
import static io.flowreel.messages.StageEventType.STARTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.flowreel.messages.JobSpec;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobStateMachineTest {

  private final Events events = new Events("job-1", "batch-1");

  private static JobStatus fold(JobStatus start, List<StageEvent> list) {
    JobStatus job = start;
    for (StageEvent e : list) {
      job = JobStateMachine.apply(job, e);
    }
    return job;
  }

  private static JobStatus fold(List<StageEvent> list) {
    return fold(null, list);
  }

  /** A job of one attempt that has finished ENCODE and is denoising. */
  private JobStatus denoising() {
    return fold(List.of(events.event(REWRITE, 1, STARTED), events.succeeded(REWRITE, 1),
        events.event(ENCODE, 1, STARTED), events.succeeded(ENCODE, 1), events.event(DENOISE, 1, STARTED)));
  }

  private JobStatus completed(int attempt) {
    JobStatus job = null;
    for (Stage stage : Stages.PIPELINE) {
      job = fold(job, events.runStage(stage, attempt));
    }
    return job;
  }

  @Test
  void theFirstEventNamesTheJob() {
    JobStatus job = JobStateMachine.apply(null, events.event(REWRITE, 1, STARTED));

    assertThat(job.jobId()).isEqualTo("job-1");
    assertThat(job.batchId()).isEqualTo("batch-1");
    assertThat(job.tenant()).isEqualTo("studio-a");
    assertThat(job.attempt()).isEqualTo(1);
  }

  @Test
  void queuedMakesAnUnknownJobQueuedAndNeverMovesARunningOneBack() {
    JobStatus queued = JobStateMachine.apply(null, events.event(Stage.UNKNOWN, 1, QUEUED));
    assertThat(queued.state()).isEqualTo(JobState.QUEUED);
    assertThat(queued.stages()).isEmpty();

    JobStatus running = JobStateMachine.apply(queued, events.event(REWRITE, 1, STARTED));
    assertThat(running.state()).isEqualTo(JobState.RUNNING);
    assertThat(JobStateMachine.apply(running, events.event(REWRITE, 1, QUEUED)).state())
        .isEqualTo(JobState.RUNNING);
  }

  @Test
  void theSchedulersNotesMarkAWaitingJobPausedAndItsNewPriorityAndNothingElse() {
    JobStatus queued = JobStateMachine.apply(null, events.queued(REWRITE, 1));
    JobStatus paused = JobStateMachine.apply(queued, events.event(REWRITE, 1, StageEventType.PAUSED));
    assertThat(paused.paused()).isTrue();
    assertThat(paused.state()).isEqualTo(JobState.QUEUED);
    assertThat(paused.stages()).isEmpty();

    JobSpec raised = JobSpec.newBuilder(events.queued(REWRITE, 1).getSpec()).setPriority(8).build();
    JobStatus reprioritised = JobStateMachine.apply(paused,
        events.builder(REWRITE, 1, StageEventType.REPRIORITISED).setSpec(raised).build());
    assertThat(reprioritised.spec().priority()).isEqualTo(8);
    assertThat(reprioritised.paused()).isTrue();

    JobStatus resumed = JobStateMachine.apply(reprioritised, events.event(REWRITE, 1, StageEventType.RESUMED));
    assertThat(resumed.paused()).isFalse();
    assertThat(JobStateMachine.apply(resumed, events.event(REWRITE, 1, StageEventType.PAUSED)).paused())
        .as("paused again: notes are not deduplicated").isTrue();

    JobStatus finished = completed(1);
    assertThat(JobStateMachine.apply(finished, events.event(PUBLISH, 1, StageEventType.PAUSED)))
        .as("a finished job has no waiting task").isSameAs(finished);
    JobStatus retried = JobStateMachine.apply(JobStateMachine.apply(queued,
        events.event(REWRITE, 1, StageEventType.PAUSED)), events.queued(REWRITE, 2));
    assertThat(retried.paused()).as("a new attempt is held only if the scheduler says so again").isFalse();
  }

  @Test
  void firstStartedMakesTheJobRunning() {
    JobStatus job = JobStateMachine.apply(null, events.event(ENCODE, 1, STARTED));

    assertThat(job.state()).isEqualTo(JobState.RUNNING);
    assertThat(job.currentStage()).isEqualTo("ENCODE");
    assertThat(job.stages().get("ENCODE").state()).isEqualTo(StageState.RUNNING);
    assertThat(job.stages().get("ENCODE").startedMillis()).isEqualTo(job.lastEventMillis());
    // A job that skips REWRITE starts at ENCODE: the stages before count as passed.
    assertThat(job.progress()).isCloseTo(1.0 / 6, within(1e-9));
  }

  @Test
  void aStageSucceededKeepsTheJobRunningAndAdvancesProgress() {
    JobStatus job = denoising();

    assertThat(job.state()).isEqualTo(JobState.RUNNING);
    assertThat(job.currentStage()).isEqualTo("DENOISE");
    assertThat(job.progress()).isCloseTo(2.0 / 6, within(1e-9));
    StageStatus encode = job.stages().get("ENCODE");
    assertThat(encode.state()).isEqualTo(StageState.SUCCEEDED);
    assertThat(encode.durationMillis()).isEqualTo(5L);
    assertThat(encode.finishedMillis()).isNotNull();
    assertThat(job.stages().keySet()).containsExactly("REWRITE", "ENCODE", "DENOISE");
  }

  @Test
  void progressCountsTheDenoiseStepFraction() {
    JobStatus job = JobStateMachine.apply(denoising(), events.progress(DENOISE, 1, 5, 20));

    assertThat(job.progress()).isCloseTo((2 + 0.25) / 6, within(1e-9));
    assertThat(job.stages().get("DENOISE").step()).isEqualTo(5);
    assertThat(job.stages().get("DENOISE").totalSteps()).isEqualTo(20);
  }

  @Test
  void progressWithoutStepsUsesTheFraction() {
    StageEvent half = events.builder(DENOISE, 1, StageEventType.PROGRESS).setProgress(0.5).build();

    assertThat(JobStateMachine.apply(denoising(), half).progress()).isCloseTo(2.5 / 6, within(1e-9));
  }

  @Test
  void onlyAHigherStepCountsAsProgress() {
    JobStatus at10 = JobStateMachine.apply(denoising(), events.progress(DENOISE, 1, 10, 20));

    assertThat(JobStateMachine.apply(at10, events.progress(DENOISE, 1, 10, 20))).isSameAs(at10);
    assertThat(JobStateMachine.apply(at10, events.progress(DENOISE, 1, 4, 20))).isSameAs(at10);
    assertThat(JobStateMachine.apply(at10, events.progress(DENOISE, 1, 11, 20)).stages().get("DENOISE").step())
        .isEqualTo(11);
  }

  @Test
  void publishSucceededCompletesTheJobWithItsOutputs() {
    JobStatus job = completed(1);

    assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(job.progress()).isEqualTo(1.0);
    assertThat(job.currentStage()).isEqualTo("PUBLISH");
    assertThat(job.error()).isNull();
    assertThat(job.outputs()).singleElement().satisfies(out -> {
      assertThat(out.name()).isEqualTo("video");
      assertThat(out.stage()).isEqualTo("PUBLISH");
      assertThat(out.format()).isEqualTo("MP4");
      assertThat(out.key()).isEqualTo("jobs/job-1/1/publish/video.mp4");
      assertThat(out.size()).isEqualTo(1234);
    });
    assertThat(job.stages()).hasSize(6).allSatisfy((name, s) -> assertThat(s.state()).isEqualTo(StageState.SUCCEEDED));
  }

  @Test
  void aSkippedStageStillEndsAtFullProgress() {
    JobStatus job = null;
    for (Stage stage : List.of(ENCODE, DENOISE, DECODE, PUBLISH)) { // preview: no REWRITE, no UPSAMPLE
      job = fold(job, events.runStage(stage, 1));
    }
    assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(job.progress()).isEqualTo(1.0);
  }

  @Test
  void failedMakesTheJobFailedWithTheError() {
    JobStatus job = JobStateMachine.apply(denoising(), events.failed(DENOISE, 1, "NaN in latents"));

    assertThat(job.state()).isEqualTo(JobState.FAILED);
    assertThat(job.error()).isEqualTo("DENOISE: NaN in latents");
    assertThat(job.stages().get("DENOISE").state()).isEqualTo(StageState.FAILED);
    assertThat(job.progress()).isCloseTo(2.0 / 6, within(1e-9));
  }

  @Test
  void deadLetteredMakesTheJobFailed() {
    StageEvent dead = events.builder(DENOISE, 1, DEAD_LETTERED).setError("gave up after 4 tries").build();
    JobStatus job = JobStateMachine.apply(denoising(), dead);

    assertThat(job.state()).isEqualTo(JobState.FAILED);
    assertThat(job.error()).isEqualTo("DENOISE: gave up after 4 tries");
    assertThat(job.stages().get("DENOISE").state()).isEqualTo(StageState.DEAD_LETTERED);
  }

  @Test
  void cancelledMakesTheJobCancelled() {
    JobStatus job = JobStateMachine.apply(denoising(), events.event(DENOISE, 1, CANCELLED));

    assertThat(job.state()).isEqualTo(JobState.CANCELLED);
    assertThat(job.stages().get("DENOISE").state()).isEqualTo(StageState.CANCELLED);
  }

  @Test
  void theGatewaysCancelStopsAQueuedJobUntilAStageReportsItsTaskDropped() {
    JobStatus queued = JobStateMachine.apply(null, events.queued(REWRITE, 1));
    StageEvent fromGateway = events.builder(REWRITE, 1, CANCELLED).setWorker(Stages.GATEWAY_WORKER)
        .setError("batch cancelled through the API").build();

    JobStatus cancelled = JobStateMachine.apply(queued, fromGateway);

    assertThat(cancelled.state()).isEqualTo(JobState.CANCELLED);
    assertThat(cancelled.stages().get("REWRITE").state()).isEqualTo(StageState.CANCELLED);
    assertThat(cancelled.dropPending()).as("its task still waits in the rewriter's queue").isTrue();
    assertThat(JobStateMachine.apply(cancelled, fromGateway)).as("a duplicate").isSameAs(cancelled);

    // The rewriter reaches the task, sees the cancel and drops it: the job stays CANCELLED, its task is gone.
    StageEvent dropped = events.builder(REWRITE, 1, CANCELLED).setWorker("prompt-rewriter-1").build();
    JobStatus gone = JobStateMachine.apply(cancelled, dropped);
    assertThat(gone.state()).isEqualTo(JobState.CANCELLED);
    assertThat(gone.dropPending()).isFalse();
    assertThat(gone.lastEventMillis()).isEqualTo(dropped.getTimeMillis());
    assertThat(JobStateMachine.apply(gone, dropped)).isSameAs(gone);
  }

  @Test
  void aCancelledJobThatSlippedIntoAStageIsDroppedAtTheNextOne() {
    JobStatus cancelled = JobStateMachine.apply(JobStateMachine.apply(null, events.queued(REWRITE, 1)),
        events.builder(REWRITE, 1, CANCELLED).setWorker(Stages.GATEWAY_WORKER).build());
    // The rewriter took the task before it saw the cancel: its news changes nothing...
    JobStatus late = fold(cancelled, List.of(events.event(REWRITE, 1, STARTED), events.succeeded(REWRITE, 1)));
    assertThat(late).isSameAs(cancelled);
    // ...and the encoder, which reads the cancel, drops it.
    JobStatus gone = JobStateMachine.apply(late, events.event(ENCODE, 1, CANCELLED));
    assertThat(gone.state()).isEqualTo(JobState.CANCELLED);
    assertThat(gone.dropPending()).isFalse();
  }

  @Test
  void theGatewaysCancelLeavesAJobAStageHasStartedToTheStages() {
    JobStatus running = denoising();
    StageEvent fromGateway = events.builder(REWRITE, 1, CANCELLED).setWorker(Stages.GATEWAY_WORKER).build();

    assertThat(JobStateMachine.apply(running, fromGateway)).isSameAs(running);
    // Nor does it touch another attempt than the one it saw queued.
    JobStatus queuedAgain = JobStateMachine.apply(completed(1), events.queued(DENOISE, 2));
    assertThat(JobStateMachine.apply(queuedAgain, events.builder(DENOISE, 1, CANCELLED)
        .setWorker(Stages.GATEWAY_WORKER).build())).isSameAs(queuedAgain);
    assertThat(JobStateMachine.apply(queuedAgain, events.builder(DENOISE, 3, CANCELLED)
        .setWorker(Stages.GATEWAY_WORKER).build())).isSameAs(queuedAgain);
  }

  @Test
  void retryingKeepsTheJobRunningAndRecordsEachRetryOnce() {
    StageEvent retry1 = events.builder(DENOISE, 1, RETRYING).setError("S3 timeout").build();
    StageEvent retry2 = events.builder(DENOISE, 1, RETRYING).setError("S3 503").build();

    JobStatus job = fold(denoising(), List.of(retry1, retry1, retry2));

    assertThat(job.state()).isEqualTo(JobState.RUNNING);
    StageStatus denoise = job.stages().get("DENOISE");
    assertThat(denoise.state()).isEqualTo(StageState.RETRYING);
    assertThat(denoise.retries()).isEqualTo(2);
    assertThat(denoise.error()).isEqualTo("S3 503");
    // The stage goes on after the retry.
    assertThat(JobStateMachine.apply(job, events.succeeded(DENOISE, 1)).stages().get("DENOISE").state())
        .isEqualTo(StageState.SUCCEEDED);
  }

  @Test
  void aDuplicateIsIgnored() {
    JobStatus job = denoising();

    assertThat(JobStateMachine.apply(job, events.event(DENOISE, 1, STARTED))).isSameAs(job);
    assertThat(JobStateMachine.apply(job, events.succeeded(ENCODE, 1))).isSameAs(job);
    assertThat(JobStateMachine.apply(job, events.event(ENCODE, 1, STARTED))).isSameAs(job);
  }

  @Test
  void theAppliedSetHoldsStageAttemptAndType() {
    assertThat(denoising().applied()).containsExactly("DENOISE/1/STARTED", "ENCODE/1/STARTED",
        "ENCODE/1/SUCCEEDED", "REWRITE/1/STARTED", "REWRITE/1/SUCCEEDED");
  }

  @Test
  void progressAfterItsStageSucceededIsIgnored() {
    JobStatus job = JobStateMachine.apply(denoising(), events.succeeded(DENOISE, 1));

    assertThat(JobStateMachine.apply(job, events.progress(DENOISE, 1, 19, 20))).isSameAs(job);
  }

  @Test
  void startedAfterItsStageSucceededIsIgnored() {
    // SUCCEEDED arrives first (the STARTED of a redelivery comes late): the stage stays done.
    JobStatus job = JobStateMachine.apply(denoising(), events.succeeded(DECODE, 1));
    JobStatus late = JobStateMachine.apply(job, events.event(DECODE, 1, STARTED));

    assertThat(late).isSameAs(job);
    assertThat(late.stages().get("DECODE").state()).isEqualTo(StageState.SUCCEEDED);
  }

  @Test
  void anEarlierStageNeverMovesTheCurrentStageBack() {
    JobStatus job = denoising();

    // REWRITE finished already: a late retry of it is ignored.
    assertThat(JobStateMachine.apply(job, events.event(REWRITE, 1, RETRYING))).isSameAs(job);
    // ENCODE finished too.
    assertThat(JobStateMachine.apply(job, events.event(ENCODE, 1, RETRYING))).isSameAs(job);
    JobStatus decodeFirst = JobStateMachine.apply(job, events.succeeded(DECODE, 1));
    assertThat(JobStateMachine.apply(decodeFirst, events.progress(DENOISE, 1, 3, 20)).currentStage())
        .isEqualTo("DECODE");
  }

  @Test
  void aTerminalJobIgnoresTheRestOfItsAttempt() {
    JobStatus done = completed(1);

    assertThat(JobStateMachine.apply(done, events.event(PUBLISH, 1, CANCELLED))).isSameAs(done);
    assertThat(JobStateMachine.apply(done, events.failed(UPSAMPLE, 1, "late"))).isSameAs(done);
    assertThat(JobStateMachine.apply(done, events.progress(DENOISE, 1, 20, 20))).isSameAs(done);

    JobStatus failed = JobStateMachine.apply(denoising(), events.failed(DENOISE, 1, "boom"));
    assertThat(JobStateMachine.apply(failed, events.succeeded(DENOISE, 1))).isSameAs(failed);
  }

  @Test
  void aSupersededAttemptIsIgnored() {
    JobStatus retry = JobStateMachine.apply(denoising(), events.event(DENOISE, 2, STARTED));

    assertThat(JobStateMachine.apply(retry, events.succeeded(DENOISE, 1))).isSameAs(retry);
    assertThat(JobStateMachine.apply(retry, events.published(1))).isSameAs(retry);
    assertThat(JobStateMachine.apply(retry, events.failed(DENOISE, 1, "old"))).isSameAs(retry);
    assertThat(retry.state()).isEqualTo(JobState.RUNNING);
    assertThat(retry.attempt()).isEqualTo(2);
  }

  @Test
  void aNewerAttemptReopensAFailedJobFromItsStage() {
    JobStatus failed = fold(denoising(), List.of(events.succeeded(DENOISE, 1), events.event(DECODE, 1, STARTED),
        events.failed(DECODE, 1, "OOM")));
    assertThat(failed.state()).isEqualTo(JobState.FAILED);

    JobStatus retry = JobStateMachine.apply(failed, events.event(DENOISE, 2, STARTED));

    assertThat(retry.state()).isEqualTo(JobState.RUNNING);
    assertThat(retry.attempt()).isEqualTo(2);
    assertThat(retry.error()).isNull();
    assertThat(retry.currentStage()).isEqualTo("DENOISE");
    // Stages before the retry keep their (reused) results; the superseded run from DENOISE on is gone.
    assertThat(retry.stages().keySet()).containsExactly("REWRITE", "ENCODE", "DENOISE");
    assertThat(retry.stages().get("DENOISE").attempt()).isEqualTo(2);
    assertThat(retry.stages().get("DENOISE").state()).isEqualTo(StageState.RUNNING);
    assertThat(retry.progress()).isCloseTo(2.0 / 6, within(1e-9));
    assertThat(retry.applied()).containsExactly("DENOISE/2/STARTED");

    JobStatus done = fold(retry, List.of(events.succeeded(DENOISE, 2)));
    for (Stage stage : List.of(DECODE, UPSAMPLE, PUBLISH)) {
      done = fold(done, events.runStage(stage, 2));
    }
    assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(done.outputs()).singleElement().extracting(StoredArtifact::key)
        .isEqualTo("jobs/job-1/2/publish/video.mp4");
  }

  @Test
  void aNewerAttemptReopensASucceededOrCancelledJob() {
    JobStatus rerun = JobStateMachine.apply(completed(1), events.event(PUBLISH, 2, STARTED));
    assertThat(rerun.state()).isEqualTo(JobState.RUNNING);
    assertThat(rerun.outputs()).isEmpty();
    assertThat(rerun.progress()).isCloseTo(5.0 / 6, within(1e-9));

    JobStatus cancelled = JobStateMachine.apply(denoising(), events.event(DENOISE, 1, CANCELLED));
    assertThat(JobStateMachine.apply(cancelled, events.event(DENOISE, 2, STARTED)).state())
        .isEqualTo(JobState.RUNNING);
  }

  @Test
  void theFirstEventOfANewerAttemptMayItselfBeTerminal() {
    JobStatus failed = JobStateMachine.apply(completed(1), events.failed(DECODE, 2, "bad latent"));

    assertThat(failed.state()).isEqualTo(JobState.FAILED);
    assertThat(failed.attempt()).isEqualTo(2);
    assertThat(failed.error()).isEqualTo("DECODE: bad latent");
  }

  @Test
  void anUnknownEventTypeIsIgnored() {
    JobStatus job = denoising();

    assertThat(JobStateMachine.apply(job, events.event(DENOISE, 1, StageEventType.UNKNOWN))).isSameAs(job);
  }

  @Test
  void lastEventMillisIsTheNewestAppliedEvent() {
    StageEvent late = events.builder(DENOISE, 1, StageEventType.SUCCEEDED).setTimeMillis(5).build();
    JobStatus job = denoising();

    assertThat(JobStateMachine.apply(job, late).lastEventMillis()).isEqualTo(job.lastEventMillis());
  }

  @Test
  void theQueuedEventRecordsTheSpecAndTheSubmissionTime() {
    StageEvent queued = events.queued(REWRITE, 1);

    JobStatus job = JobStateMachine.apply(null, queued);

    assertThat(job.state()).isEqualTo(JobState.QUEUED);
    assertThat(job.spec()).isEqualTo(JobSpecMapper.settings(queued.getSpec()));
    assertThat(JobSpecMapper.toWire("job-1", "batch-1", "studio-a", job.spec())).isEqualTo(queued.getSpec());
    assertThat(job.submittedMillis()).isEqualTo(queued.getTimeMillis());
    assertThat(job.stages()).isEmpty();
  }

  @Test
  void succeededStagesKeepTheirArtifactsAndTheRewrittenPrompt() {
    StageEvent rewritten = events.builder(REWRITE, 1, StageEventType.SUCCEEDED)
        .setArtifacts(List.of(events.artifact(REWRITE, 1))).setRewrittenPrompt("a red ball, studio light").build();

    JobStatus job = fold(List.of(events.queued(REWRITE, 1), events.event(REWRITE, 1, STARTED), rewritten,
        events.event(ENCODE, 1, STARTED), events.succeeded(ENCODE, 1)));

    assertThat(job.rewrittenPrompt()).isEqualTo("a red ball, studio light");
    assertThat(job.stages().get("ENCODE").artifacts()).singleElement()
        .satisfies(a -> assertThat(a.toWire()).isEqualTo(events.artifact(ENCODE, 1)));
  }

  @Test
  void aRetrysQueuedEventPutsTheJobBackInTheQueueKeepingEarlierStagesArtifacts() {
    JobStatus failed = fold(denoising(), List.of(events.failed(DENOISE, 1, "bad latent")));

    JobStatus retry = JobStateMachine.apply(failed, events.queued(DENOISE, 2));

    assertThat(retry.state()).isEqualTo(JobState.QUEUED);
    assertThat(retry.attempt()).isEqualTo(2);
    assertThat(retry.error()).isNull();
    assertThat(retry.stages().keySet()).containsExactly("REWRITE", "ENCODE");
    assertThat(retry.stages().get("ENCODE").artifacts()).extracting(StoredArtifact::key)
        .containsExactly(events.artifact(ENCODE, 1).getKey());
    assertThat(JobStateMachine.apply(retry, events.event(DENOISE, 2, STARTED)).state())
        .isEqualTo(JobState.RUNNING);
  }

  @Test
  void aRetryFromRewriteForgetsTheRewrittenPrompt() {
    StageEvent rewritten = events.builder(REWRITE, 1, StageEventType.SUCCEEDED).setRewrittenPrompt("old").build();
    JobStatus failed = fold(List.of(events.event(REWRITE, 1, STARTED), rewritten, events.failed(ENCODE, 1, "x")));

    assertThat(JobStateMachine.apply(failed, events.queued(ENCODE, 2)).rewrittenPrompt()).isEqualTo("old");
    assertThat(JobStateMachine.apply(failed, events.queued(REWRITE, 2)).rewrittenPrompt()).isNull();
  }
}
