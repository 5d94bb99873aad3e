package io.flowreel.runtime;

import io.flowreel.contract.Stages;
import io.flowreel.messages.Stage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one stage worker tells an operator (docs/operations.md lists the Prometheus names): tasks by outcome,
 * how long they took, how long an admitted task waited for a worker to take it, the time per step of stages that
 * report steps (the denoiser), and whether it is busy. Histograms, so that percentiles can be aggregated over
 * any number of workers.
 */
public final class StageMetrics {

  /** How a task ended at this worker; the {@code outcome} tag. */
  public enum Outcome {
    /** Its result was stored and the job sent on. */
    SUCCEEDED,
    /** A try failed and is tried again after a backoff (one count per retry, not per task). */
    RETRIED,
    /** Given up on: sent to the stage's dead-letter topic, the job failed. */
    DEAD_LETTERED,
    /** Its job or batch was cancelled before or while it ran. */
    CANCELLED,
    /** A newer attempt of its job exists (a retry): dropped without a result. */
    SUPERSEDED;

    String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final MeterRegistry registry;
  private final String stage;
  private final Map<Outcome, Counter> tasks = new EnumMap<>(Outcome.class);
  private final Map<Outcome, Timer> durations = new EnumMap<>(Outcome.class);
  private final Timer handover;
  private Timer step;
  private final AtomicInteger running = new AtomicInteger();

  public StageMetrics(MeterRegistry registry, Stage stage) {
    this.registry = registry;
    this.stage = Stages.id(stage);
    handover = Timer.builder("flowreel.stage.handover")
        .description("from the scheduler admitting a task to the stage's topic to a worker starting it")
        .tag("stage", this.stage).publishPercentileHistogram().register(registry);
    Gauge.builder("flowreel.stage.tasks.running", running, AtomicInteger::get)
        .description("tasks this worker is running now (0 or 1)").tag("stage", this.stage).register(registry);
    // Every series exists from the start, so a rate over it is 0 rather than absent; and a task's end looks
    // nothing up.
    for (Outcome outcome : Outcome.values()) {
      tasks.put(outcome, Counter.builder("flowreel.stage.tasks").description("tasks by how they ended at this worker")
          .tag("stage", this.stage).tag("outcome", outcome.tag()).register(registry));
      durations.put(outcome, Timer.builder("flowreel.stage.task.duration")
          .description("a task's time at a worker, from start to outcome").tag("stage", this.stage)
          .tag("outcome", outcome.tag()).publishPercentileHistogram().register(registry));
    }
  }

  /** Meters that go nowhere: for workers run outside a service (benchmarks, tests). */
  public static StageMetrics unrecorded(Stage stage) {
    return new StageMetrics(new CompositeMeterRegistry(), stage);
  }

  void started(Duration sinceAdmitted) {
    running.incrementAndGet();
    handover.record(sinceAdmitted.isNegative() ? Duration.ZERO : sinceAdmitted);
  }

  /** The task is no longer running here, whatever became of it (also when sending its outcome failed). */
  void stopped() {
    running.decrementAndGet();
  }

  void ended(Outcome outcome, Duration took) {
    tasks.get(outcome).increment();
    durations.get(outcome).record(took);
  }

  /** Not ended: the same try runs again. */
  void retried() {
    tasks.get(Outcome.RETRIED).increment();
  }

  /** A task settled before it started (cancelled, superseded, or over its delivery limit). */
  void settledUnstarted(Outcome outcome) {
    tasks.get(outcome).increment();
  }

  void steps(int steps, Duration took) {
    if (step == null) { // registered by the first step: only stages that report steps (the denoiser) have it
      step = Timer.builder("flowreel.stage.step.duration")
          .description("time per step of a stage that reports steps (the denoiser's sampling steps, guidance included)")
          .tag("stage", stage).publishPercentileHistogram().register(registry);
    }
    for (int i = 0; i < steps; i++) {
      step.record(took.dividedBy(steps));
    }
  }

  /** How many tasks ended so at this worker (0 for {@link #unrecorded} meters). */
  public long count(Outcome outcome) {
    return (long) tasks.get(outcome).count();
  }

}
