package io.flowreel.tracker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BatchStatusTest {

  private final BatchStatus empty = BatchStatus.empty("batch-1", "studio-a");

  @Test
  void aNewJobIsCountedOnce() {
    BatchStatus batch = empty.change(null, JobState.RUNNING);

    assertThat(batch.total()).isEqualTo(1);
    assertThat(batch.running()).isEqualTo(1);
    assertThat(batch.done()).isZero();
  }

  @Test
  void aTransitionMovesTheJobBetweenCounts() {
    BatchStatus batch = empty.change(null, JobState.QUEUED)
        .change(JobState.QUEUED, JobState.RUNNING)
        .change(JobState.RUNNING, JobState.FAILED);

    assertThat(batch).isEqualTo(new BatchStatus("batch-1", "studio-a", 1, 0, 0, 0, 1, 0));
    assertThat(batch.done()).isEqualTo(1);
  }

  @Test
  void anUnchangedStateChangesNothing() {
    BatchStatus batch = empty.change(null, JobState.RUNNING);

    assertThat(batch.change(JobState.RUNNING, JobState.RUNNING)).isEqualTo(batch);
  }

  @Test
  void unknownJobsCountAsQueued() {
    assertThat(empty.change(null, JobState.UNKNOWN).queued()).isEqualTo(1);
  }

  @Test
  void theFirstChangeNamesTheBatchAndLaterOnesMoveTheJob() {
    BatchStatus batch = BatchStatus.empty(null, null).apply("batch-9", new JobChange("studio-b", null, JobState.QUEUED))
        .apply("batch-9", new JobChange("studio-b", JobState.QUEUED, JobState.SUCCEEDED));

    assertThat(batch).isEqualTo(new BatchStatus("batch-9", "studio-b", 1, 0, 0, 1, 0, 0));
  }

  @Test
  void aJobChangeRoundTripsThroughItsSerde() {
    var serde = JobChange.serde();
    for (JobChange change : java.util.List.of(new JobChange("studio-a", null, JobState.QUEUED),
        new JobChange("studio-a", JobState.RUNNING, JobState.CANCELLED))) {
      assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", change))).isEqualTo(change);
    }
    assertThat(serde.serializer().serialize("t", null)).isNull();
  }

  @Test
  void doneCountsEveryTerminalState() {
    BatchStatus batch = empty.change(null, JobState.SUCCEEDED).change(null, JobState.FAILED)
        .change(null, JobState.CANCELLED).change(null, JobState.RUNNING);

    assertThat(batch.total()).isEqualTo(4);
    assertThat(batch.done()).isEqualTo(3);
  }
}
