package io.flowreel.tracker;

import io.flowreel.contract.Stages;

import static io.flowreel.messages.Stage.DENOISE;
import static io.flowreel.messages.Stage.REWRITE;
import static io.flowreel.messages.StageEventType.CANCELLED;
import static io.flowreel.messages.StageEventType.STARTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowreel.messages.StageEvent;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetentionTest {

  private static final long WORK = Duration.ofHours(24).toMillis();
  private static final long OUTPUTS = Duration.ofDays(30).toMillis();
  private final Retention retention = new Retention(Duration.ofMillis(WORK), Duration.ofMillis(OUTPUTS));

  private static JobStatus fold(List<StageEvent> list) {
    JobStatus job = null;
    for (StageEvent e : list) {
      job = JobStateMachine.apply(job, e);
    }
    return job;
  }

  private static JobStatus published(String jobId) {
    Events events = new Events(jobId, "batch-1");
    return fold(List.of(events.queued(REWRITE, 1), events.published(1)));
  }

  @Test
  void aPublishedJobsWorkFallsDueOnceItsRetentionHasPassedAndItsOutputsLater() {
    JobStatus job = published("job-p");
    long end = job.lastEventMillis();

    assertThat(retention.workDue(job, 0, end + WORK - 1)).isFalse();
    assertThat(retention.workDue(job, 0, end + WORK)).isTrue();
    assertThat(retention.outputsDue(job, 0, end + WORK)).isFalse();
    assertThat(retention.outputsDue(job, 0, end + OUTPUTS)).isTrue();
  }

  @Test
  void consecutiveScansEachDeletionFallsDueInExactlyOne() {
    JobStatus job = published("job-w");
    long due = job.lastEventMillis() + WORK;
    long[] scans = {due - 1000, due - 1, due, due + 1, due + 1000};
    int dueIn = 0;
    long since = 0;
    for (long now : scans) {
      dueIn += retention.workDue(job, since, now) ? 1 : 0;
      since = now;
    }
    assertThat(dueIn).isEqualTo(1);
  }

  @Test
  void anUnfinishedJobNeverFallsDueHoweverOld() {
    Events events = new Events("job-r", "batch-1");
    JobStatus running = fold(List.of(events.queued(REWRITE, 1), events.event(DENOISE, 1, STARTED)));

    assertThat(retention.workDue(running, 0, Long.MAX_VALUE / 2)).isFalse();
    assertThat(retention.outputsDue(running, 0, Long.MAX_VALUE / 2)).isFalse();
  }

  @Test
  void aCancelledJobsWorkFallsDueAndItsControlCommandIsTombstonedButItHasNoOutputs() {
    Events events = new Events("job-c", "batch-1");
    JobStatus cancelled = fold(List.of(events.queued(REWRITE, 1), events.event(DENOISE, 1, STARTED),
        events.event(DENOISE, 1, CANCELLED)));

    assertThat(cancelled.state()).isEqualTo(JobState.CANCELLED);
    assertThat(retention.workDue(cancelled, 0, cancelled.lastEventMillis() + WORK)).isTrue();
    assertThat(retention.outputsDue(cancelled, 0, Long.MAX_VALUE / 2)).isFalse();
    assertThat(Retention.mayHaveControlCommand(cancelled)).isTrue();
    assertThat(Retention.mayHaveControlCommand(published("job-q"))).isFalse();
  }

  @Test
  void aJobCancelledWhileQueuedFallsDueOnlyAfterAStageDroppedItsTask() {
    Events events = new Events("job-g", "batch-1");
    JobStatus cancelled = fold(List.of(events.queued(REWRITE, 1),
        events.builder(REWRITE, 1, CANCELLED).setWorker(Stages.GATEWAY_WORKER).build()));

    // Its cancel command must outlive the task waiting in the rewriter's queue, however long that takes.
    assertThat(retention.workDue(cancelled, 0, Long.MAX_VALUE / 2)).isFalse();

    JobStatus dropped = JobStateMachine.apply(cancelled, events.event(REWRITE, 1, CANCELLED));
    assertThat(retention.workDue(dropped, 0, dropped.lastEventMillis() + WORK - 1)).isFalse();
    assertThat(retention.workDue(dropped, 0, dropped.lastEventMillis() + WORK)).isTrue();
  }

  @Test
  void negativeRetentionIsRefused() {
    assertThatThrownBy(() -> new Retention(Duration.ofSeconds(-1), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
  }
}
