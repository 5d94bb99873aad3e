package io.flowreel.runtime;

import io.flowreel.contract.Stages;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEventType;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.AcknowledgeType;

/**
 * The outcome policy of a stage worker: pure functions from what the worker knows about a task to
 * what it does next. {@link StageWorker} reads the inputs (control topic, delivery count, the
 * handler's result or exception) and carries the outcome out.
 * docs/stage-runtime.md has the same rules as a table.
 *
 * <p>{@link #before} runs before the handler; the first rule that matches decides:
 * <ol>
 *   <li>A task of an attempt lower than the job's current one is {@link Superseded} (fencing).
 *   <li>A task whose job or batch is cancelled is {@link Cancelled} ("cancelled before stage").
 *   <li>A task delivered more than {@code maxDeliveries} times {@link GiveUp gives up}: dead letter
 *       with error class {@code DeliveryLimit} and a DEAD_LETTERED event.
 *   <li>A task whose routing slip is empty or starts with another stage gives up: dead letter with
 *       error class {@code Misrouted} and a FAILED event.
 *   <li>Otherwise the handler {@link Run runs}.
 * </ol>
 * Fencing comes first because the tracker ignores a superseded attempt's events anyway;
 * cancellation comes before the dead-letter rules so that a job someone cancelled ends CANCELLED,
 * not failed. The two dead-letter rules differ only in the reason recorded.
 *
 * <p>{@link #afterFailure} runs when the handler (or forwarding its result) threw:
 * <ol>
 *   <li>A stop was requested (cancelled or superseded while running): {@link Cancelled}
 *       ("cancelled during stage"); the exception is only how the handler stopped.
 *   <li>Storage did not answer ({@link StorageUnavailableException}): {@link Hold} the task, take no
 *       other, and try again once storage answers, without spending a try. An outage is weather,
 *       not a fault of the job: with tries spent on it, a 30 s outage failed every running job.
 *   <li>A permanent error ({@link #isPermanent}) gives up at once: dead letter with the
 *       exception's class and a FAILED event.
 *   <li>The last try of the {@link RetryPolicy} gives up: dead letter and a DEAD_LETTERED event.
 *   <li>Otherwise {@link Retry}: a RETRYING event, then the policy's backoff before the next try.
 * </ol>
 *
 * <p>{@link #afterSuccess} runs when the handler returned:
 * <ol>
 *   <li>The attempt was superseded while running: {@link Superseded}, its results go nowhere.
 *   <li>Otherwise {@link Forward}: the next task and a SUCCEEDED event.
 * </ol>
 */
public final class TaskOutcomes {

  private TaskOutcomes() {
  }

  /** Before the handler: run it, or settle the task without running it. */
  public sealed interface Before {
  }

  /** After the handler threw: settle the task, or try again. */
  public sealed interface AfterFailure {
  }

  /** After the handler returned. */
  public sealed interface AfterSuccess extends Settled {
  }

  /**
   * An outcome that ends the task. Every one is acknowledged ACCEPT: the task's fate is then on
   * record (an event, a dead letter, the next task) or, superseded, needs none. The worker releases
   * a task only when it could not carry its outcome out, so another delivery tries again.
   */
  public sealed interface Settled {
    default AcknowledgeType ack() {
      return AcknowledgeType.ACCEPT;
    }
  }

  /** Run the handler. */
  public record Run() implements Before {
  }

  /** Send nothing: a newer attempt of the job owns its outputs. */
  public record Superseded() implements Before, AfterSuccess {
  }

  /** A CANCELLED event with {@code error}. */
  public record Cancelled(String error) implements Before, AfterFailure, Settled {
  }

  /**
   * The task to the stage's dead-letter topic with {@code error} and {@code errorClass}, then an
   * {@code event} (FAILED or DEAD_LETTERED) with {@code error}. {@code deliveryAttempts} is the
   * delivery count before the handler ran, the number of tries after it failed.
   */
  public record GiveUp(String error, String errorClass, int deliveryAttempts, StageEventType event)
      implements Before, AfterFailure, Settled {
  }

  /** A RETRYING event with {@code error}, then {@code backoff}, then the next try on the same delivery. */
  public record Retry(Duration backoff, String error) implements AfterFailure {
  }

  /**
   * Keep the task (its lock renewed) and take no other; once {@code dependency} answers again, run
   * the same try again. A RETRYING event with {@code error} says so once per outage.
   */
  public record Hold(String dependency, String error) implements AfterFailure {
  }

  /** The next task (routing slip popped, artifacts appended) and a SUCCEEDED event. */
  public record Forward() implements AfterSuccess {
  }

  /**
   * What to do with a task before its handler runs.
   *
   * @param taskAttempt the attempt the task carries
   * @param currentAttempt the job's newest attempt on the control topic
   * @param cancelled whether the newest control command of the job or its batch is CANCEL
   * @param deliveries how often the broker has delivered the task, this delivery included
   * @param maxDeliveries {@link WorkerConfig#maxDeliveries()}
   * @param routingSlip the stages the task still has to pass, this one first
   * @param stage the worker's stage
   */
  public static Before before(int taskAttempt, int currentAttempt, boolean cancelled, int deliveries,
      int maxDeliveries, List<Stage> routingSlip, Stage stage) {
    if (taskAttempt < currentAttempt) {
      return new Superseded();
    }
    if (cancelled) {
      return new Cancelled("cancelled before " + Stages.id(stage));
    }
    if (deliveries > maxDeliveries) {
      return new GiveUp("delivered " + deliveries + " times without finishing (workers crashed or timed out)",
          "DeliveryLimit", deliveries, StageEventType.DEAD_LETTERED);
    }
    if (routingSlip.isEmpty() || routingSlip.get(0) != stage) {
      return new GiveUp("task addressed to " + routingSlip + " arrived at stage " + Stages.id(stage),
          "Misrouted", deliveries, StageEventType.FAILED);
    }
    return new Run();
  }

  /**
   * What to do after try {@code tryNumber} of the handler threw {@code error}.
   *
   * @param stopRequested {@link StageContext#stopRequested()} at the time of the failure
   * @param tryNumber 1 for the first try of this delivery
   */
  public static AfterFailure afterFailure(Throwable error, boolean stopRequested, int tryNumber, RetryPolicy retry,
      Stage stage) {
    if (stopRequested) {
      return new Cancelled("cancelled during " + Stages.id(stage));
    }
    StorageUnavailableException outage = storageOutage(error);
    if (outage != null) {
      return new Hold("storage", describe(outage) + " (task held until storage answers; try " + tryNumber
          + " of " + retry.maxTries() + " not spent)");
    }
    if (isPermanent(error)) {
      return new GiveUp(describe(error), error.getClass().getName(), tryNumber, StageEventType.FAILED);
    }
    if (tryNumber >= retry.maxTries()) {
      return new GiveUp(describe(error), error.getClass().getName(), tryNumber, StageEventType.DEAD_LETTERED);
    }
    Duration wait = retry.backoffBefore(tryNumber + 1);
    return new Retry(wait, describe(error) + " (try " + tryNumber + " of " + retry.maxTries() + ", next in "
        + wait.toMillis() + " ms)");
  }

  /**
   * What to do with the handler's result.
   *
   * @param currentAttempt the job's newest attempt, read after the handler returned
   */
  public static AfterSuccess afterSuccess(int taskAttempt, int currentAttempt) {
    return taskAttempt < currentAttempt ? new Superseded() : new Forward();
  }

  /**
   * Bad input, which no retry can fix: anywhere in the cause chain, since stores and engines wrap
   * what they throw.
   */
  static boolean isPermanent(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof PermanentStageException || t instanceof CorruptArtifactException
          || t instanceof IllegalArgumentException) {
        return true;
      }
    }
    return false;
  }

  /** Anywhere in the cause chain, since handlers wrap what the store throws; null if none. */
  static StorageUnavailableException storageOutage(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof StorageUnavailableException outage) {
        return outage;
      }
    }
    return null;
  }

  /** The error text of events and dead letters: the message, or the class for an exception without one. */
  static String describe(Throwable error) {
    return error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
  }
}
