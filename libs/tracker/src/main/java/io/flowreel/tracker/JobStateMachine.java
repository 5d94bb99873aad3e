package io.flowreel.tracker;

import io.flowreel.contract.JobSpecMapper;
import io.flowreel.contract.Stages;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The job state machine: one pure function from (status so far, next stage event) to the next
 * status. Every transition, and every reason to ignore an event, is in {@link #apply}; the
 * Kafka Streams topology only calls it. docs/tracker.md has the same rules as a table.
 *
 * <p>Events reach the tracker at least once and, across redeliveries and retries, not always in
 * order, so the function is idempotent and never moves a job backwards within an attempt:
 * <ol>
 *   <li>An event with an unknown type (from a newer writer) is ignored.
 *   <li>An event of an attempt lower than the highest seen is superseded and ignored (fencing).
 *   <li>An event of a higher attempt (a retry from a stage) opens that attempt first: a terminal
 *       job goes back to RUNNING, and what the superseded run recorded from that stage on is
 *       dropped.
 *   <li>A duplicate is ignored: the same (stage, attempt, type) was applied before; for PROGRESS
 *       only a higher step (or fraction) counts; RETRYING events are told apart by event id, since
 *       a stage legitimately retries several times.
 *   <li>The gateway's CANCELLED (sent with a cancel, for jobs it saw QUEUED) applies only to a job that is still
 *       QUEUED in that attempt: once a stage has started the job, only a stage stops it, so a job that the
 *       gateway saw queued but that runs meanwhile is never shown CANCELLED while it goes on to publish.
 *   <li>A terminal job (SUCCEEDED, FAILED, CANCELLED) ignores further events of its attempt, but for one: after
 *       the gateway's cancel, the first stage that reports the job's task gone (its own CANCELLED, a failure, or
 *       PUBLISH done) clears {@code dropPending} and counts as the job's last event.
 *   <li>The scheduler's notes on a waiting task (PAUSED, RESUMED, REPRIORITISED) set {@code paused} or the spec's
 *       priority of the current attempt of an unfinished job, and nothing else.
 *   <li>A finished stage ignores late STARTED, PROGRESS and RETRYING of its attempt.
 *   <li>Otherwise the event applies: QUEUED makes an UNKNOWN job QUEUED; STARTED, PROGRESS and
 *       RETRYING make it RUNNING; SUCCEEDED of PUBLISH makes it SUCCEEDED with the published
 *       outputs (of another stage, RUNNING); FAILED and DEAD_LETTERED make it FAILED with the
 *       error; CANCELLED makes it CANCELLED.
 * </ol>
 * An ignored event returns the status unchanged (the same object).
 */
public final class JobStateMachine {

  private JobStateMachine() {
  }

  /**
   * The job's status after {@code event}.
   *
   * @param current the status so far, or null before the job's first event
   * @param event the next event of the job
   * @return the next status, or {@code current} itself when the event is ignored
   */
  public static JobStatus apply(JobStatus current, StageEvent event) {
    JobStatus job = current != null ? current
        : JobStatus.unknown(event.getJobId(), event.getBatchId(), event.getTenant());
    StageEventType type = event.getType();
    int attempt = event.getAttempt();

    if (type == null || type == StageEventType.UNKNOWN) {
      return job; // a newer writer's event type: we cannot know what it means
    }
    if (attempt < job.attempt()) {
      return job; // superseded attempt: a late result must not touch the newer run
    }
    if (isSchedulerNote(type)) {
      return note(job, event);
    }
    String key = appliedKey(event);
    if (attempt == job.attempt() && type != StageEventType.PROGRESS && job.applied().contains(key)) {
      return job; // duplicate (redelivered task, producer retry)
    }

    if (type == StageEventType.CANCELLED && fromGateway(event)
        && (attempt != job.attempt() || job.state() != JobState.QUEUED)) {
      return job; // the job has started (or is of another attempt): the stages will see the cancel themselves
    }

    JobStatus.Builder next = job.toBuilder();
    if (attempt > job.attempt()) {
      openAttempt(next, event);
    } else if (job.state().isTerminal()) {
      if (job.dropPending() && leavesTheQueue(event)) {
        next.dropPending = false;
        next.applied.add(key);
        next.lastEventMillis = Math.max(next.lastEventMillis, event.getTimeMillis());
        return next.build();
      }
      return job; // a terminal job is left only by a newer attempt
    }

    Stage stage = event.getStage();
    // QUEUED says nothing about a stage's work, so it records no stage.
    boolean knownStage = Stages.PIPELINE.contains(stage) && type != StageEventType.QUEUED;
    StageStatus stageStatus = knownStage ? next.stages.get(stage.name()) : null;
    if (stageStatus == null && knownStage) {
      stageStatus = StageStatus.started(attempt, event.getTimeMillis());
    }
    boolean stageFinished = stageStatus != null && stageStatus.state().isFinished();

    switch (type) {
      case QUEUED -> {
        if (next.state == JobState.UNKNOWN) {
          next.state = JobState.QUEUED;
        }
        if (event.getSpec() != null) {
          next.spec = JobSpecMapper.settings(event.getSpec());
        }
        if (next.submittedMillis == 0) {
          next.submittedMillis = event.getTimeMillis();
        }
      }
      case STARTED -> {
        if (stageFinished) {
          return job; // STARTED after the stage finished: a redelivery, not news
        }
        // A job that skips stages (preview: no REWRITE) has passed everything before this one.
        next.progress = Math.max(next.progress, (double) position(stage) / Stages.PIPELINE.size());
        next.state = JobState.RUNNING;
      }
      case PROGRESS -> {
        if (stageFinished || stageStatus == null || !isAhead(event, stageStatus)) {
          return job; // late or repeated progress never moves a job back
        }
        double fraction = stageFraction(event);
        stageStatus = stageStatus.withProgress(event.getStep(), event.getTotalSteps(), fraction);
        next.progress = Math.max(next.progress, (position(stage) + fraction) / Stages.PIPELINE.size());
        next.state = JobState.RUNNING;
      }
      case RETRYING -> {
        if (stageFinished) {
          return job;
        }
        if (stageStatus != null) {
          stageStatus = stageStatus.withRetry(event.getError());
        }
        next.state = JobState.RUNNING;
      }
      case SUCCEEDED -> {
        if (stageStatus != null) {
          stageStatus = stageStatus.finished(StageState.SUCCEEDED, event.getTimeMillis(),
              event.getDurationMillis(), null, stored(event));
          next.progress = Math.max(next.progress, (position(stage) + 1.0) / Stages.PIPELINE.size());
        }
        if (stage == Stage.PUBLISH) {
          next.state = JobState.SUCCEEDED;
          next.progress = 1.0;
          next.error = null;
          next.outputs = stored(event);
        } else {
          next.state = JobState.RUNNING;
        }
      }
      case FAILED, DEAD_LETTERED -> {
        StageState failed = type == StageEventType.FAILED ? StageState.FAILED : StageState.DEAD_LETTERED;
        if (stageStatus != null) {
          stageStatus = stageStatus.finished(failed, event.getTimeMillis(), event.getDurationMillis(),
              event.getError(), List.of());
        }
        next.state = JobState.FAILED;
        next.error = stage + ": " + (event.getError() != null ? event.getError() : type.name().toLowerCase());
      }
      case CANCELLED -> {
        next.dropPending = fromGateway(event);
        if (stageStatus != null) {
          stageStatus = stageStatus.finished(StageState.CANCELLED, event.getTimeMillis(),
              event.getDurationMillis(), event.getError(), List.of());
        }
        next.state = JobState.CANCELLED;
      }
      default -> {
        return job; // UNKNOWN was handled above; a new symbol lands here until it is taught
      }
    }

    if (event.getRewrittenPrompt() != null) {
      next.rewrittenPrompt = event.getRewrittenPrompt();
    }
    if (stageStatus != null) {
      next.stages.put(stage.name(), stageStatus);
      sortByPipeline(next.stages);
      if (next.currentStage == null || position(stage) > position(Stage.valueOf(next.currentStage))) {
        next.currentStage = stage.name();
      }
    }
    if (type != StageEventType.PROGRESS) {
      next.applied.add(key);
    }
    next.lastEventMillis = Math.max(next.lastEventMillis, event.getTimeMillis());
    return next.build();
  }

  /**
   * Starts a newer attempt: the retry resumes from the event's stage, so the stages before it keep
   * what they recorded (their artifacts are reused) and the ones from it on are forgotten.
   */
  private static void openAttempt(JobStatus.Builder next, StageEvent event) {
    boolean firstEvent = next.attempt == 0;
    next.attempt = event.getAttempt();
    // Keys of lower attempts can never match again (those events are superseded): keep the set small.
    next.applied.clear();
    next.paused = false; // the scheduler says again if the new attempt's task is held
    if (firstEvent) {
      return;
    }
    int from = Stages.PIPELINE.contains(event.getStage()) ? position(event.getStage()) : 0;
    next.stages.keySet().removeIf(name -> position(Stage.valueOf(name)) >= from);
    next.currentStage = null;
    next.progress = (double) from / Stages.PIPELINE.size();
    next.error = null;
    next.outputs = List.of();
    if (from <= position(Stage.REWRITE)) {
      next.rewrittenPrompt = null;
    }
    // The retry's QUEUED (sent by the gateway with the new task) shows the job waiting again.
    if (next.state.isTerminal() || event.getType() == StageEventType.QUEUED) {
      next.state = event.getType() == StageEventType.QUEUED ? JobState.QUEUED : JobState.RUNNING;
    }
  }

  private static boolean isSchedulerNote(StageEventType type) {
    return type == StageEventType.PAUSED || type == StageEventType.RESUMED || type == StageEventType.REPRIORITISED;
  }

  /**
   * What the scheduler says of a job's waiting task: held (PAUSED), handed out again (RESUMED), or given a new
   * priority (REPRIORITISED, with the spec as it now is). None changes the job's state or stages; a finished job
   * has no waiting task, so they are ignored once it has finished. The scheduler sends each once (exactly once),
   * and a later note supersedes an earlier one, so they need no idempotency key.
   */
  private static JobStatus note(JobStatus job, StageEvent event) {
    if (job.state().isTerminal() || event.getAttempt() != job.attempt()) {
      return job;
    }
    JobStatus.Builder next = job.toBuilder();
    switch (event.getType()) {
      case PAUSED -> next.paused = true;
      case RESUMED -> next.paused = false;
      default -> {
        if (event.getSpec() != null) {
          next.spec = JobSpecMapper.settings(event.getSpec());
        }
      }
    }
    next.lastEventMillis = Math.max(next.lastEventMillis, event.getTimeMillis());
    return next.build();
  }

  private static List<StoredArtifact> stored(StageEvent event) {
    return event.getArtifacts().stream().map(StoredArtifact::of).toList();
  }

  /** The idempotency key; RETRYING adds the event id because one attempt may retry many times. */
  static String appliedKey(StageEvent event) {
    String key = event.getStage() + "/" + event.getAttempt() + "/" + event.getType();
    if (event.getType() == StageEventType.RETRYING) {
      return key + "/" + event.getEventId();
    }
    // The gateway's cancel and the stage's that follows it are two events, not a duplicate.
    return fromGateway(event) && event.getType() == StageEventType.CANCELLED ? key + "/gateway" : key;
  }

  private static boolean fromGateway(StageEvent event) {
    return Stages.GATEWAY_WORKER.equals(event.getWorker());
  }

  /** Whether a stage's event says the job's task has left the stage queues for good in this attempt. */
  private static boolean leavesTheQueue(StageEvent event) {
    return !fromGateway(event) && switch (event.getType()) {
      case CANCELLED, FAILED, DEAD_LETTERED -> true;
      case SUCCEEDED -> event.getStage() == Stage.PUBLISH;
      default -> false;
    };
  }

  private static boolean isAhead(StageEvent event, StageStatus stage) {
    if (event.getStep() != null && stage.step() != null) {
      return event.getStep() > stage.step();
    }
    return stageFraction(event) > stage.progress();
  }

  /** Fraction of one stage done: the event's progress, else step / totalSteps, else 0. */
  private static double stageFraction(StageEvent event) {
    if (event.getProgress() != null) {
      return clamp(event.getProgress());
    }
    if (event.getStep() != null && event.getTotalSteps() != null && event.getTotalSteps() > 0) {
      return clamp((double) event.getStep() / event.getTotalSteps());
    }
    return 0.0;
  }

  private static double clamp(double fraction) {
    return Math.max(0.0, Math.min(1.0, fraction));
  }

  private static int position(Stage stage) {
    return Stages.position(stage);
  }

  private static void sortByPipeline(Map<String, StageStatus> stages) {
    Map<String, StageStatus> sorted = new LinkedHashMap<>();
    stages.entrySet().stream()
        .sorted(Comparator.comparingInt(e -> position(Stage.valueOf(e.getKey()))))
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    stages.clear();
    stages.putAll(sorted);
  }
}
