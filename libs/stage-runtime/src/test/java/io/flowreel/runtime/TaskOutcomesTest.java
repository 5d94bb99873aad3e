package io.flowreel.runtime;

import static io.flowreel.messages.Stage.DECODE;
import static io.flowreel.messages.Stage.PUBLISH;
import static io.flowreel.messages.Stage.UPSAMPLE;
import static io.flowreel.messages.StageEventType.DEAD_LETTERED;
import static io.flowreel.messages.StageEventType.FAILED;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.messages.Stage;
import io.flowreel.runtime.TaskOutcomes.Before;
import io.flowreel.runtime.TaskOutcomes.Cancelled;
import io.flowreel.runtime.TaskOutcomes.Forward;
import io.flowreel.runtime.TaskOutcomes.GiveUp;
import io.flowreel.runtime.TaskOutcomes.Hold;
import io.flowreel.runtime.TaskOutcomes.Retry;
import io.flowreel.runtime.TaskOutcomes.Run;
import io.flowreel.runtime.TaskOutcomes.Settled;
import io.flowreel.runtime.TaskOutcomes.Superseded;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.junit.jupiter.api.Test;

class TaskOutcomesTest {

  private static final List<Stage> AT_DECODE = List.of(DECODE, UPSAMPLE, PUBLISH);
  private static final int MAX_DELIVERIES = 4;
  private static final RetryPolicy RETRY = new RetryPolicy(3, Duration.ofMillis(200), Duration.ofSeconds(1));

  /** A decode task of attempt 1, delivered {@code deliveries} times, the job's current attempt {@code current}. */
  private static Before before(int current, boolean cancelled, int deliveries, List<Stage> slip) {
    return TaskOutcomes.before(1, current, cancelled, deliveries, MAX_DELIVERIES, slip, DECODE);
  }

  private static TaskOutcomes.AfterFailure afterFailure(Throwable error, boolean stopRequested, int tryNumber) {
    return TaskOutcomes.afterFailure(error, stopRequested, tryNumber, RETRY, DECODE);
  }

  // before

  @Test
  void aCurrentUncancelledTaskAtItsStageRuns() {
    assertThat(before(1, false, 1, AT_DECODE)).isEqualTo(new Run());
  }

  @Test
  void aTaskOfAnAttemptNewerThanTheControlTopicKnowsRuns() {
    // Fencing drops only older attempts: the control view may not have read this task's RESUME yet.
    assertThat(TaskOutcomes.before(2, 1, false, 1, MAX_DELIVERIES, AT_DECODE, DECODE)).isEqualTo(new Run());
  }

  @Test
  void aTaskOfAnOlderAttemptIsSuperseded() {
    assertThat(before(2, false, 1, AT_DECODE)).isEqualTo(new Superseded());
  }

  @Test
  void aSupersededTaskIsDroppedEvenWhenCancelledOverItsDeliveryLimitAndMisrouted() {
    assertThat(before(2, true, MAX_DELIVERIES + 1, List.of())).isEqualTo(new Superseded());
  }

  @Test
  void aCancelledTaskIsCancelledBeforeTheStage() {
    assertThat(before(1, true, 1, AT_DECODE)).isEqualTo(new Cancelled("cancelled before decode"));
  }

  @Test
  void cancellationBeatsTheDeliveryLimitAndTheMisroute() {
    assertThat(before(1, true, MAX_DELIVERIES + 1, List.of(UPSAMPLE)))
        .isEqualTo(new Cancelled("cancelled before decode"));
  }

  @Test
  void aTaskDeliveredUpToTheLimitRuns() {
    assertThat(before(1, false, MAX_DELIVERIES, AT_DECODE)).isEqualTo(new Run());
  }

  @Test
  void aTaskDeliveredMoreOftenThanTheLimitIsDeadLettered() {
    assertThat(before(1, false, 5, AT_DECODE)).isEqualTo(new GiveUp(
        "delivered 5 times without finishing (workers crashed or timed out)", "DeliveryLimit", 5, DEAD_LETTERED));
  }

  @Test
  void theDeliveryLimitBeatsTheMisroute() {
    assertThat(before(1, false, 5, List.of(UPSAMPLE)))
        .isInstanceOfSatisfying(GiveUp.class, giveUp -> assertThat(giveUp.errorClass()).isEqualTo("DeliveryLimit"));
  }

  @Test
  void aTaskAddressedToAnotherStageIsMisrouted() {
    assertThat(before(1, false, 2, List.of(UPSAMPLE, PUBLISH))).isEqualTo(new GiveUp(
        "task addressed to [UPSAMPLE, PUBLISH] arrived at stage decode", "Misrouted", 2, FAILED));
  }

  @Test
  void aTaskWithAnEmptyRoutingSlipIsMisrouted() {
    assertThat(before(1, false, 1, List.of()))
        .isEqualTo(new GiveUp("task addressed to [] arrived at stage decode", "Misrouted", 1, FAILED));
  }

  // after a failure

  @Test
  void aFailureAfterAStopRequestIsACancellation() {
    assertThat(afterFailure(new IllegalStateException("stopped at step 7"), true, 1))
        .isEqualTo(new Cancelled("cancelled during decode"));
  }

  @Test
  void aStopRequestBeatsAPermanentErrorOnTheLastTry() {
    assertThat(afterFailure(new PermanentStageException("bad size"), true, RETRY.maxTries()))
        .isEqualTo(new Cancelled("cancelled during decode"));
  }

  @Test
  void aStorageOutageOnTheLastTryHoldsTheTaskWithoutSpendingTheTry() {
    Throwable outage = new UncheckedIOException(new StorageUnavailableException("S3 does not answer: refused", null));

    assertThat(afterFailure(outage, false, RETRY.maxTries())).isEqualTo(new Hold("storage",
        "S3 does not answer: refused (task held until storage answers; try 3 of 3 not spent)"));
  }

  @Test
  void aStopRequestBeatsAStorageOutage() {
    assertThat(afterFailure(new StorageUnavailableException("S3 does not answer", null), true, 1))
        .isEqualTo(new Cancelled("cancelled during decode"));
  }

  @Test
  void aStorageOutageBeatsAPermanentErrorFurtherDownTheChain() {
    // A timed-out read can surface through a parser as a bad argument; the outage is the cause to act on.
    Throwable outage = new StorageUnavailableException("S3 does not answer", new IllegalArgumentException("short read"));

    assertThat(afterFailure(outage, false, 1)).isInstanceOf(Hold.class);
  }

  @Test
  void aPermanentStageExceptionFailsAtOnce() {
    assertThat(afterFailure(new PermanentStageException("no such pack"), false, 1)).isEqualTo(
        new GiveUp("no such pack", "io.flowreel.runtime.PermanentStageException", 1, FAILED));
  }

  @Test
  void aCorruptArtifactFailsAtOnce() {
    assertThat(afterFailure(new CorruptArtifactException("sha256 0000, expected 1234"), false, 1)).isEqualTo(
        new GiveUp("sha256 0000, expected 1234", "io.flowreel.runtime.CorruptArtifactException", 1, FAILED));
  }

  @Test
  void anIllegalArgumentDeepInTheCauseChainFailsAtOnceWithTheOuterError() {
    Throwable wrapped = new IllegalStateException("decode failed",
        new UncheckedIOException(new IOException("read", new IllegalArgumentException("width 63 is odd"))));

    assertThat(afterFailure(wrapped, false, 1))
        .isEqualTo(new GiveUp("decode failed", "java.lang.IllegalStateException", 1, FAILED));
  }

  @Test
  void aPermanentErrorOnTheLastTryFailsRatherThanDeadLetters() {
    assertThat(afterFailure(new IllegalArgumentException("width 63 is odd"), false, RETRY.maxTries())).isEqualTo(
        new GiveUp("width 63 is odd", "java.lang.IllegalArgumentException", RETRY.maxTries(), FAILED));
  }

  @Test
  void aTransientErrorOnTheLastTryIsDeadLettered() {
    assertThat(afterFailure(new IOException("storage hiccup 3"), false, 3))
        .isEqualTo(new GiveUp("storage hiccup 3", "java.io.IOException", 3, DEAD_LETTERED));
  }

  @Test
  void aSingleTryPolicyDeadLettersTheFirstTransientError() {
    RetryPolicy once = new RetryPolicy(1, Duration.ofMillis(200), Duration.ofSeconds(1));

    assertThat(TaskOutcomes.afterFailure(new IOException("timeout"), false, 1, once, DECODE))
        .isEqualTo(new GiveUp("timeout", "java.io.IOException", 1, DEAD_LETTERED));
  }

  @Test
  void aTransientErrorBeforeTheLastTryRetriesAfterTheBackoff() {
    assertThat(afterFailure(new IOException("storage hiccup 1"), false, 1))
        .isEqualTo(new Retry(Duration.ofMillis(200), "storage hiccup 1 (try 1 of 3, next in 200 ms)"));
    assertThat(afterFailure(new IOException("storage hiccup 2"), false, 2))
        .isEqualTo(new Retry(Duration.ofMillis(400), "storage hiccup 2 (try 2 of 3, next in 400 ms)"));
  }

  @Test
  void retryWaitsFollowTheBackoffUpToItsCap() {
    RetryPolicy tenTries = new RetryPolicy(10, Duration.ofSeconds(1), Duration.ofSeconds(3));

    for (int tryNumber = 1; tryNumber < 10; tryNumber++) {
      Duration expected = tenTries.backoffBefore(tryNumber + 1);
      assertThat(TaskOutcomes.afterFailure(new IOException("x"), false, tryNumber, tenTries, DECODE))
          .isEqualTo(new Retry(expected, "x (try " + tryNumber + " of 10, next in " + expected.toMillis() + " ms)"));
    }
    // 1 s doubling passes the 3 s cap at the third wait: the loop above covered capped waits too.
    assertThat(TaskOutcomes.afterFailure(new IOException("x"), false, 9, tenTries, DECODE))
        .isEqualTo(new Retry(Duration.ofSeconds(3), "x (try 9 of 10, next in 3000 ms)"));
  }

  @Test
  void anErrorWithoutAMessageIsNamedByItsClass() {
    assertThat(afterFailure(new IOException(), false, 1))
        .isEqualTo(new Retry(Duration.ofMillis(200), "IOException (try 1 of 3, next in 200 ms)"));
    assertThat(afterFailure(new IOException(), false, 3))
        .isEqualTo(new GiveUp("IOException", "java.io.IOException", 3, DEAD_LETTERED));
  }

  // after success

  @Test
  void aResultOfTheCurrentAttemptIsForwarded() {
    assertThat(TaskOutcomes.afterSuccess(1, 1)).isEqualTo(new Forward());
  }

  @Test
  void aResultOfAnAttemptSupersededWhileRunningGoesNowhere() {
    assertThat(TaskOutcomes.afterSuccess(1, 2)).isEqualTo(new Superseded());
  }

  // acknowledgement

  @Test
  void everyOutcomeThatEndsATaskAcceptsIt() {
    List<Settled> settled = List.of(new Superseded(), new Cancelled("c"), new GiveUp("e", "E", 1, FAILED),
        new Forward());

    assertThat(settled).extracting(Settled::ack).containsOnly(AcknowledgeType.ACCEPT);
  }
}
