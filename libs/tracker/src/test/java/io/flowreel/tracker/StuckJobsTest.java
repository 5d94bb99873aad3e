package io.flowreel.tracker;

import static io.flowreel.messages.Stage.DENOISE;
import static io.flowreel.messages.Stage.ENCODE;
import static io.flowreel.messages.Stage.PUBLISH;
import static io.flowreel.messages.Stage.REWRITE;
import static io.flowreel.messages.StageEventType.CANCELLED;
import static io.flowreel.messages.StageEventType.PROGRESS;
import static io.flowreel.messages.StageEventType.STARTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowreel.contract.Stages;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.tracker.StuckJobs.StuckJob;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;

class StuckJobsTest {

  private static final Duration BOUND = Duration.ofMinutes(30);
  private static final long BOUND_MS = BOUND.toMillis();

  private final StuckJobs rule = new StuckJobs(BOUND);

  private static JobStatus fold(List<StageEvent> list) {
    JobStatus job = null;
    for (StageEvent e : list) {
      job = JobStateMachine.apply(job, e);
    }
    return job;
  }

  @Test
  void aQueuedJobNoStageHasStartedIsStuckOnceTheBoundHasPassed() {
    JobStatus job = fold(List.of(new Events("job-q", "batch-1").queued(REWRITE, 1)));

    assertThat(rule.check(job, job.lastEventMillis() + BOUND_MS + 1)).contains(
        new StuckJob("job-q", "batch-1", JobState.QUEUED, null, job.lastEventMillis()));
  }

  @Test
  void aRunningJobWhoseStageWentQuietIsStuckOnceTheBoundHasPassed() {
    Events events = new Events("job-r", "batch-1");
    JobStatus job = fold(List.of(events.queued(REWRITE, 1), events.event(REWRITE, 1, STARTED),
        events.succeeded(REWRITE, 1), events.event(ENCODE, 1, STARTED)));

    assertThat(rule.check(job, job.lastEventMillis() + BOUND_MS + 1)).contains(
        new StuckJob("job-r", "batch-1", JobState.RUNNING, "ENCODE", job.lastEventMillis()));
  }

  @Test
  void recentProgressKeepsALongRunningJobOffTheList() {
    Events events = new Events("job-p", "batch-1");
    long started = 1_000_000;
    long stepped = started + 2 * BOUND_MS; // running far longer than the bound, but it reported a step
    JobStatus job = fold(List.of(
        events.builder(DENOISE, 1, STARTED).setTimeMillis(started).build(),
        events.builder(DENOISE, 1, PROGRESS).setStep(5).setTotalSteps(50)
            .setTimeMillis(stepped).build()));

    assertThat(job.lastEventMillis()).isEqualTo(stepped);
    assertThat(rule.check(job, stepped + BOUND_MS)).isEmpty();
    assertThat(rule.check(job, stepped + BOUND_MS + 1)).isPresent();
  }

  @Test
  void aRedeliveredEventIsNoNews() {
    Events events = new Events("job-d", "batch-1");
    long started = 1_000_000;
    JobStatus job = fold(List.of(
        events.builder(DENOISE, 1, STARTED).setTimeMillis(started).build(),
        // the same STARTED again, an hour later (a redelivered task): the state machine does not apply it
        events.builder(DENOISE, 1, STARTED).setTimeMillis(started + 2 * BOUND_MS).build()));

    assertThat(rule.check(job, started + 2 * BOUND_MS + 1)).isPresent();
  }

  @Test
  void exactlyAtTheBoundAJobIsNotStuckYet() {
    JobStatus job = fold(List.of(new Events("job-b", "batch-1").queued(REWRITE, 1)));

    assertThat(rule.check(job, job.lastEventMillis() + BOUND_MS)).isEmpty();
    assertThat(rule.check(job, job.lastEventMillis() + BOUND_MS + 1)).isPresent();
  }

  @Test
  void finishedJobsAreNeverStuck() {
    Events succeeding = new Events("job-s", "batch-1");
    JobStatus succeeded = null;
    for (Stage stage : Stages.PIPELINE) {
      for (StageEvent e : succeeding.runStage(stage, 1)) {
        succeeded = JobStateMachine.apply(succeeded, e);
      }
    }
    Events failing = new Events("job-f", "batch-1");
    JobStatus failed = fold(List.of(failing.queued(REWRITE, 1), failing.event(REWRITE, 1, STARTED),
        failing.failed(REWRITE, 1, "model pack missing")));
    Events cancelling = new Events("job-c", "batch-1");
    JobStatus cancelled = fold(List.of(cancelling.queued(REWRITE, 1), cancelling.event(PUBLISH, 1, CANCELLED)));
    long muchLater = 100 * BOUND_MS;

    assertThat(List.of(succeeded, failed, cancelled)).extracting(JobStatus::state)
        .containsExactly(JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED);
    assertThat(List.of(succeeded, failed, cancelled)).allSatisfy(job ->
        assertThat(rule.check(job, muchLater)).isEmpty());
    assertThat(rule.check(JobStatus.unknown("job-u", "batch-1", "studio-a"), muchLater)).isEmpty();
  }

  @Test
  void aScanListsTheStuckJobsLongestWithoutNewsFirst() {
    long now = 10 * BOUND_MS;
    JobStatus quietest = queuedAt("job-1", now - 3 * BOUND_MS);
    JobStatus quiet = queuedAt("job-2", now - 2 * BOUND_MS);
    JobStatus fresh = queuedAt("job-3", now - 1);

    List<StuckJob> stuck = rule.scan(List.of(KeyValue.pair("job-2", quiet), KeyValue.pair("job-3", fresh),
        KeyValue.pair("job-1", quietest)).iterator(), now);

    assertThat(stuck).extracting(StuckJob::jobId).containsExactly("job-1", "job-2");
  }

  @Test
  void theScanRunsEveryTenthOfTheBoundBetween100MillisecondsAnd30Seconds() {
    assertThat(new StuckJobs(Duration.ofSeconds(2)).scanInterval()).isEqualTo(Duration.ofMillis(200));
    assertThat(new StuckJobs(Duration.ofMillis(500)).scanInterval()).isEqualTo(Duration.ofMillis(100));
    assertThat(new StuckJobs(BOUND).scanInterval()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void theBoundMustBePositive() {
    assertThatThrownBy(() -> new StuckJobs(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new StuckJobs(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
  }

  private static JobStatus queuedAt(String jobId, long timeMillis) {
    StageEvent queued = new Events(jobId, "batch-1").queued(REWRITE, 1);
    return fold(List.of(StageEvent.newBuilder(queued).setTimeMillis(timeMillis).build()));
  }
}
