package io.flowreel.runtime;

import io.flowreel.contract.Topics;
import io.flowreel.contract.Stages;
import io.flowreel.contract.TraceHeaders;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.DeadLetter;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.SchedulerInput;
import io.flowreel.messages.SchedulerInputKind;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.messages.codec.MessageSerdes;
import io.flowreel.telemetry.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.MDC;

/**
 * Takes tasks of one stage from a Kafka share group, one at a time, and runs them through a
 * {@link StageHandler}. Any number of workers can share a stage, independent of partitions.
 *
 * <p>Order of effects: the handler stores artifacts, then the next task (to the scheduler, which admits
 * it to the next stage), the events and this task's FINISHED are sent and flushed, then the task is
 * acknowledged. A crash anywhere in between repeats work (same
 * object keys, same bytes) but never loses a job. While a task runs, the polling thread renews
 * the task's share-group lock, so a minutes-long denoise is neither redelivered nor rebalanced.
 * Which outcome a task gets (run, drop, cancel, retry, dead letter) is {@link TaskOutcomes}'s
 * decision; this class only carries it out.
 */
public final class StageWorker implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(StageWorker.class.getName());
  private static final Duration BACKOFF_AFTER_BROKER_FAILURE = Duration.ofSeconds(1);
  /**
   * Short polls: every task the scheduler admits is followed by its transaction's commit marker, a share fetch
   * that acquires only that marker gives {@code poll} no record, and Kafka 4.4.0's share consumer sends no further
   * fetch until the next {@code poll} call, so a task admitted meanwhile waits for the poll's time to run out
   * (bench {@code ShareMarkerStall}: 491 ms p50 with 500 ms polls, 13 ms with 20 ms, 1.4 ms with 5 ms, which cost
   * an idle worker 0.037 and 0.057 of a core). Shorter slices measured no faster on two cores (docs/benchmarks.md).
   */
  private static final Duration POLL_SLICE = Duration.ofMillis(20);
  private static final Duration HOLD_FIRST_PROBE = Duration.ofMillis(500);
  /** A held task resumes at most this long after storage is back. */
  private static final Duration HOLD_MAX_PROBE = Duration.ofSeconds(8);

  private final StageHandler handler;
  private final Stage stage;
  private final WorkerConfig config;
  private final ArtifactStore store;
  private final ControlView control;
  private final KafkaShareConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, byte[]> producer;
  private final ExecutorService work;
  private final Thread poller;
  private final StageMetrics metrics;
  private volatile boolean running = true;
  private volatile String holding;

  /** A worker whose meters go nowhere (benchmarks, tests). */
  public StageWorker(StageHandler handler, WorkerConfig config, ArtifactStore store, ControlView control) {
    this(handler, config, store, control, StageMetrics.unrecorded(handler.stage()));
  }

  public StageWorker(StageHandler handler, WorkerConfig config, ArtifactStore store, ControlView control,
      StageMetrics metrics) {
    this.handler = handler;
    this.stage = handler.stage();
    this.config = config;
    this.store = store;
    this.control = control;
    this.metrics = metrics;
    configureShareGroup(config.bootstrapServers(), Stages.workerGroup(stage));
    Properties c = new Properties();
    c.put("bootstrap.servers", config.bootstrapServers());
    c.put("group.id", Stages.workerGroup(stage));
    c.put("client.id", config.workerId());
    c.put("share.acknowledgement.mode", "explicit");
    // One task per worker: the broker acquires only what this worker will run, so nothing waits
    // behind a long task while other workers are idle.
    c.put("max.poll.records", "1");
    c.put("share.acquire.mode", "record_limit");
    consumer = new KafkaShareConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, config.workerId() + "-producer");
    producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    work = Executors.newSingleThreadExecutor(r -> new Thread(r, "stage-" + Stages.id(stage) + "-work"));
    poller = new Thread(this::pollLoop, "stage-" + Stages.id(stage) + "-poll");
  }

  public StageWorker start() {
    poller.start();
    return this;
  }

  public Stage stage() {
    return stage;
  }

  /** How many tasks ended so at this worker. */
  public long tasks(StageMetrics.Outcome outcome) {
    return metrics.count(outcome);
  }

  public boolean isRunning() {
    return running && poller.isAlive();
  }

  /**
   * RENEW acknowledgements are off by default per group (KIP-1222), new groups start at the latest
   * offset and read uncommitted records; all three are group configs, set idempotently by every
   * worker before it joins. Read committed: the gateway submits a batch's tasks in one transaction,
   * and the tasks of an aborted submission must never run.
   */
  static void configureShareGroup(String bootstrapServers, String group) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
      admin.incrementalAlterConfigs(Map.of(resource, List.of(
          new AlterConfigOp(new ConfigEntry("share.renew.acknowledge.enable", "true"), AlterConfigOp.OpType.SET),
          new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET),
          new AlterConfigOp(new ConfigEntry("share.isolation.level", "read_committed"), AlterConfigOp.OpType.SET))))
          .all().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot configure share group " + group + ": " + e.getMessage(), e);
    }
  }

  private void pollLoop() {
    try {
      consumer.subscribe(List.of(Topics.tasks(stage).name()));
      while (running) {
        try {
          for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL_SLICE)) {
            process(record);
          }
        } catch (WakeupException e) {
          throw e;
        } catch (KafkaException e) {
          // A broker that does not answer (a commit timing out, say) must not end the worker for good:
          // an unacknowledged task comes back when its lock expires, and its effects are idempotent.
          LOG.log(System.Logger.Level.WARNING, Stages.id(stage) + " worker " + config.workerId()
              + " lost the broker, polling again: " + e);
          Thread.sleep(BACKOFF_AFTER_BROKER_FAILURE.toMillis());
        }
      }
    } catch (WakeupException | InterruptedException e) {
      // closing
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** Runs one task to an outcome, renewing its lock meanwhile, then acknowledges it. */
  private void process(ConsumerRecord<String, byte[]> record) {
    Future<AcknowledgeType> outcome = work.submit(() -> outcomeAndFinish(record));
    ConsumerRecord<String, byte[]> held = record;
    long renewedAt = System.currentTimeMillis();
    boolean renewing = false;
    while (true) {
      if (renewing) {
        // A renewed record comes back through poll and must be acknowledged as that new object.
        for (ConsumerRecord<String, byte[]> back : consumer.poll(Duration.ofMillis(100))) {
          if (back.partition() == held.partition() && back.offset() == held.offset()) {
            held = back;
            renewing = false;
            renewedAt = System.currentTimeMillis();
          } else {
            // Not ours to run now. Rare since renewals go by commit; each release costs the task a delivery.
            LOG.log(System.Logger.Level.INFO, Stages.id(stage) + " worker " + config.workerId() + " releases "
                + back.key() + " (delivery " + back.deliveryCount().orElse((short) 0) + "), acquired while renewing");
            consumer.acknowledge(back, AcknowledgeType.RELEASE);
          }
        }
        continue;
      }
      if (outcome.isDone()) {
        break;
      }
      if (System.currentTimeMillis() - renewedAt >= config.lockRenewal().toMillis()) {
        consumer.acknowledge(held, AcknowledgeType.RENEW);
        // Sent by a commit, not by the next poll: a poll that carries the renewal may also acquire
        // the next waiting task, and every acquisition counts as one of its deliveries.
        consumer.commitSync(Duration.ofSeconds(30));
        renewing = true;
        continue;
      }
      try {
        outcome.get(100, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // still running
      } catch (Exception e) {
        break;
      }
    }
    AcknowledgeType ack;
    try {
      ack = outcome.get();
    } catch (Exception e) {
      // Sending the outcome failed (broker unreachable): let another delivery try again.
      ack = AcknowledgeType.RELEASE;
    }
    consumer.acknowledge(held, ack);
    // Sent at once but not waited for (a round trip of 15-20 ms a task on two cores): whatever the
    // acknowledgement's fate, the task's effects are already sent and idempotent.
    consumer.commitAsync();
  }

  /**
   * The outcome, then, when the task is settled, FINISHED to the scheduler: this worker is free for the next
   * task. Flushed before the acknowledgement, so a crash in between repeats the task and its FINISHED rather
   * than leave the scheduler counting a worker busy for ever. Runs on the work thread.
   */
  private AcknowledgeType outcomeAndFinish(ConsumerRecord<String, byte[]> record) throws Exception {
    RenderTask task;
    try {
      task = MessageSerdes.renderTask().deserialize(record.topic(), record.value());
    } catch (RuntimeException e) {
      deadLetterRaw(record, e);
      return AcknowledgeType.ACCEPT; // no scheduler admitted what is not a task
    }
    AcknowledgeType ack = outcome(record, task);
    if (ack == AcknowledgeType.ACCEPT) {
      schedule(SchedulerInputKind.FINISHED, task);
      producer.flush();
    }
    return ack;
  }

  private void schedule(SchedulerInputKind kind, RenderTask task) {
    SchedulerInput input = SchedulerInput.newBuilder().setKind(kind).setTask(task)
        .setTimeMillis(System.currentTimeMillis()).setWorker(config.workerId()).build();
    producer.send(new ProducerRecord<>(Topics.SCHEDULE.name(), null, Stages.id(task.getRoutingSlip().get(0)),
        Topics.SCHEDULE.serializeValue(input), TraceHeaders.of(task)));
  }

  /**
   * Everything but the acknowledgement; returns how to acknowledge. Runs on the work thread, with the task's job,
   * batch, attempt, stage and worker in the logging context (JSON logs carry them on every line).
   */
  private AcknowledgeType outcome(ConsumerRecord<String, byte[]> record, RenderTask task) throws Exception {
    String jobId = task.getSpec().getJobId();
    try (MDC.MDCCloseable j = MDC.putCloseable("jobId", jobId);
        MDC.MDCCloseable b = MDC.putCloseable("batchId", task.getSpec().getBatchId());
        MDC.MDCCloseable a = MDC.putCloseable("attempt", Integer.toString(task.getAttempt()));
        MDC.MDCCloseable s = MDC.putCloseable("stage", Stages.id(stage));
        MDC.MDCCloseable w = MDC.putCloseable("worker", config.workerId())) {
      TaskOutcomes.Before before = TaskOutcomes.before(task.getAttempt(), control.currentAttempt(jobId),
          control.cancelled(jobId, task.getSpec().getBatchId()), record.deliveryCount().orElse((short) 1),
          config.maxDeliveries(), task.getRoutingSlip(), stage);
      if (before instanceof TaskOutcomes.Settled settled) {
        settle(task, settled);
        StageMetrics.Outcome outcome = outcomeOf(settled);
        metrics.settledUnstarted(outcome);
        logOutcome(task, outcome, "before it started", settled);
        return settled.ack();
      }
      long handover = System.currentTimeMillis() - record.timestamp();
      metrics.started(Duration.ofMillis(handover));
      // The task's span, under the job's trace: its S3 reads and writes and its network calls nest in it.
      Span span = Tracing.tracer().spanBuilder(Stages.id(stage) + " task").setSpanKind(SpanKind.CONSUMER)
          .setParent(Tracing.parent(TraceHeaders.read(record.headers()).orElse(task.getTraceId())))
          .setAttribute("flowreel.job.id", jobId).setAttribute("flowreel.batch.id", task.getSpec().getBatchId())
          .setAttribute("flowreel.stage", Stages.id(stage)).setAttribute("flowreel.attempt", task.getAttempt())
          .setAttribute("flowreel.worker", config.workerId())
          .setAttribute("flowreel.delivery", record.deliveryCount().orElse((short) 1))
          .setAttribute("flowreel.handover.ms", handover).startSpan();
      try (Scope ignored = span.makeCurrent()) {
        return run(task);
      } catch (Exception | Error e) {
        span.recordException(e);
        span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
        throw e;
      } finally {
        span.end();
        metrics.stopped();
      }
    }
  }

  private AcknowledgeType run(RenderTask task) throws Exception {
    String jobId = task.getSpec().getJobId();
    // Not waited for: the outcome's event that follows is, and the producer keeps one job's events in order.
    sendUnflushed(task, event(task, StageEventType.STARTED).build());
    long start = System.currentTimeMillis();
    Context context = new Context(task);
    int tryNumber = 1;
    while (true) {
      try {
        StageHandler.Result result = handler.handle(task, context);
        TaskOutcomes.AfterSuccess after =
            TaskOutcomes.afterSuccess(task.getAttempt(), control.currentAttempt(jobId));
        long millis = System.currentTimeMillis() - start;
        if (after instanceof TaskOutcomes.Forward) {
          forward(task, result, millis);
        }
        ended(task, outcomeOf(after), millis, after);
        return after.ack();
      } catch (Exception e) {
        TaskOutcomes.AfterFailure after =
            TaskOutcomes.afterFailure(e, context.stopRequested(), tryNumber, config.retry(), stage);
        if (after instanceof TaskOutcomes.Settled settled) {
          settle(task, settled);
          ended(task, outcomeOf(settled), System.currentTimeMillis() - start, settled);
          return settled.ack();
        }
        if (after instanceof TaskOutcomes.Hold hold) {
          TaskOutcomes.Cancelled stopped = holdUntilStorageAnswers(task, context, hold);
          if (stopped != null) {
            settle(task, stopped);
            ended(task, StageMetrics.Outcome.CANCELLED, System.currentTimeMillis() - start, stopped);
            return stopped.ack();
          }
          continue; // the same try again
        }
        if (after instanceof TaskOutcomes.Retry retry) {
          metrics.retried();
          LOG.log(System.Logger.Level.WARNING, describe(task) + ": try " + tryNumber + " failed, trying again in "
              + retry.backoff().toMillis() + " ms: " + retry.error());
          send(task, event(task, StageEventType.RETRYING).setError(retry.error()).build());
          Thread.sleep(retry.backoff().toMillis());
          tryNumber++;
        }
      }
    }
  }

  private void ended(RenderTask task, StageMetrics.Outcome outcome, long millis, Object why) {
    metrics.ended(outcome, Duration.ofMillis(millis));
    Span.current().setAttribute("flowreel.outcome", outcome.tag());
    if (outcome == StageMetrics.Outcome.DEAD_LETTERED) {
      Span.current().setStatus(StatusCode.ERROR, "dead-lettered");
    }
    logOutcome(task, outcome, "in " + millis + " ms", why);
  }

  /** One line per task outcome: what an operator greps for, or filters by jobId in JSON logs. */
  private void logOutcome(RenderTask task, StageMetrics.Outcome outcome, String when, Object why) {
    String reason = why instanceof TaskOutcomes.Cancelled c ? ": " + c.error()
        : why instanceof TaskOutcomes.GiveUp g ? ": " + g.error() : "";
    LOG.log(outcome == StageMetrics.Outcome.DEAD_LETTERED ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
        describe(task) + ": " + outcome.name().toLowerCase(java.util.Locale.ROOT) + " " + when + reason);
  }

  private String describe(RenderTask task) {
    return Stages.id(stage) + " job " + task.getSpec().getJobId() + " attempt " + task.getAttempt() + " (worker "
        + config.workerId() + ")";
  }

  private static StageMetrics.Outcome outcomeOf(Object settled) {
    if (settled instanceof TaskOutcomes.Forward) {
      return StageMetrics.Outcome.SUCCEEDED;
    }
    if (settled instanceof TaskOutcomes.Superseded) {
      return StageMetrics.Outcome.SUPERSEDED;
    }
    if (settled instanceof TaskOutcomes.Cancelled) {
      return StageMetrics.Outcome.CANCELLED;
    }
    if (settled instanceof TaskOutcomes.GiveUp) {
      return StageMetrics.Outcome.DEAD_LETTERED;
    }
    throw new IllegalArgumentException("no outcome for " + settled);
  }

  /**
   * Keeps the task (the poll thread goes on renewing its lock, and takes no other task meanwhile)
   * and probes storage with a growing pause until it answers. Returns null when it does, or the
   * cancellation if the job was stopped while it waited.
   */
  private TaskOutcomes.Cancelled holdUntilStorageAnswers(RenderTask task, Context context, TaskOutcomes.Hold hold)
      throws Exception {
    String jobId = task.getSpec().getJobId();
    holding = hold.dependency() + " unavailable since " + Instant.now() + ": " + hold.error() + "; holding job "
        + jobId;
    LOG.log(System.Logger.Level.WARNING, Stages.id(stage) + " worker " + config.workerId() + ": " + holding);
    send(task, event(task, StageEventType.RETRYING).setError(hold.error()).build());
    try {
      for (Duration pause = HOLD_FIRST_PROBE; ; pause = min(pause.multipliedBy(2), HOLD_MAX_PROBE)) {
        Thread.sleep(pause.toMillis());
        if (context.stopRequested()) {
          return new TaskOutcomes.Cancelled("cancelled during " + Stages.id(stage) + " while " + hold.dependency()
              + " was unavailable");
        }
        try {
          store.probe(config.workBucket());
          LOG.log(System.Logger.Level.INFO, Stages.id(stage) + " worker " + config.workerId() + ": "
              + hold.dependency() + " answers again; running job " + jobId + " again");
          return null;
        } catch (StorageUnavailableException stillDown) {
          // keep holding
        }
      }
    } finally {
      holding = null;
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /**
   * Why this worker takes no tasks now, if it holds one for a dependency that does not answer:
   * readiness reports it.
   */
  public Optional<String> holding() {
    return Optional.ofNullable(holding);
  }

  /** Sends what a task that ends without a result leaves on record. */
  private void settle(RenderTask task, TaskOutcomes.Settled outcome) throws Exception {
    if (outcome instanceof TaskOutcomes.Cancelled cancelled) {
      send(task, event(task, StageEventType.CANCELLED)
          .setError(cancelled.error()).build());
    } else if (outcome instanceof TaskOutcomes.GiveUp giveUp) {
      deadLetter(task, giveUp.error(), giveUp.errorClass(), giveUp.deliveryAttempts(), giveUp.event());
    }
  }

  /** Pops this stage off the slip, appends the artifacts and sends the task on; then the event. */
  private void forward(RenderTask task, StageHandler.Result result, long millis) throws Exception {
    List<ArtifactRef> refs = result.artifacts().stream().map(ArtifactRefs::toWire).toList();
    List<ArtifactRef> all = new ArrayList<>(task.getArtifacts());
    all.addAll(refs);
    List<Stage> slip = new ArrayList<>(task.getRoutingSlip().subList(1, task.getRoutingSlip().size()));
    Map<String, Long> millisByStage = new java.util.LinkedHashMap<>(task.getStageMillis());
    millisByStage.put(Stages.id(stage), millis);
    Map<String, String> engines = new java.util.LinkedHashMap<>(task.getStageEngines());
    handler.engine().ifPresent(engine -> engines.put(Stages.id(stage), engine));
    RenderTask next = RenderTask.newBuilder(task)
        .setArtifacts(all)
        .setStageMillis(millisByStage)
        .setStageEngines(engines)
        .setRoutingSlip(slip)
        .setDeliveryAttempt(1)
        .setRewrittenPrompt(result.rewrittenPrompt() != null ? result.rewrittenPrompt() : task.getRewrittenPrompt())
        .build();
    if (!slip.isEmpty()) {
      schedule(SchedulerInputKind.WAITING, next);
    }
    send(task, event(task, StageEventType.SUCCEEDED).setArtifacts(refs).setDurationMillis(millis)
        .setProgress(1.0).setRewrittenPrompt(next.getRewrittenPrompt()).build());
  }

  private void deadLetter(RenderTask task, String error, String errorClass, int deliveries, StageEventType type)
      throws Exception {
    DeadLetter letter = DeadLetter.newBuilder().setTask(task).setStage(stage).setError(error)
        .setErrorClass(errorClass).setDeliveryAttempts(deliveries).setTimeMillis(System.currentTimeMillis())
        .setWorker(config.workerId()).build();
    producer.send(new ProducerRecord<>(Topics.deadLetters(stage).name(), null, task.getSpec().getJobId(),
        Topics.deadLetters(stage).serializeValue(letter), TraceHeaders.of(task)));
    send(task, event(task, type).setError(error).build());
  }

  /** A record that is not a task at all cannot become a DeadLetter: its bytes go as they are, the cause in a header. */
  private void deadLetterRaw(ConsumerRecord<String, byte[]> record, Exception e) throws Exception {
    ProducerRecord<String, byte[]> raw = new ProducerRecord<>(Topics.deadLetters(stage).name(), record.key(), record.value());
    raw.headers().add("flowreel.error", TaskOutcomes.describe(e).getBytes(StandardCharsets.UTF_8));
    raw.headers().add("flowreel.error.class", e.getClass().getName().getBytes(StandardCharsets.UTF_8));
    producer.send(raw).get(30, TimeUnit.SECONDS);
    metrics.settledUnstarted(StageMetrics.Outcome.DEAD_LETTERED);
    LOG.log(System.Logger.Level.WARNING, Stages.id(stage) + " worker " + config.workerId() + ": dead-lettered record "
        + record.key() + " at offset " + record.offset() + ", not a task: " + TaskOutcomes.describe(e));
  }

  private StageEvent.Builder event(RenderTask task, StageEventType type) {
    return Events.of(task, stage, type, config.workerId()).setSimulated(handler instanceof SimulatedStage);
  }

  /** Sends and waits: the next step (acknowledging) must not happen before the broker has it. */
  private void send(RenderTask task, StageEvent event) throws Exception {
    sendUnflushed(task, event);
    producer.flush();
  }

  /** The event to the events topic, keyed by job, with the job's trace context. */
  private void sendUnflushed(RenderTask task, StageEvent event) {
    producer.send(new ProducerRecord<>(Topics.EVENTS.name(), null, task.getSpec().getJobId(),
        MessageSerdes.stageEvent().serialize(Topics.EVENTS.name(), event), TraceHeaders.of(task)));
  }

  private final class Context implements StageContext {
    private final RenderTask task;
    private long lastProgress;
    private long lastStepNanos;
    private int lastStep = -1;

    Context(RenderTask task) {
      this.task = task;
    }

    @Override
    public ArtifactStore store() {
      return store;
    }

    @Override
    public String workBucket() {
      return config.workBucket();
    }

    @Override
    public String outputBucket() {
      return config.outputBucket();
    }

    @Override
    public void progress(int done, int total) {
      long nanos = System.nanoTime();
      if (lastStep >= 0 && done > lastStep) {
        metrics.steps(done - lastStep, Duration.ofNanos(nanos - lastStepNanos));
      }
      lastStep = done;
      lastStepNanos = nanos;
      if (done == 0) {
        return; // the start of the steps: STARTED already said there is no progress yet
      }
      long now = System.currentTimeMillis();
      if (done < total && now - lastProgress < config.progressInterval().toMillis()) {
        return;
      }
      lastProgress = now;
      try {
        send(task, event(task, StageEventType.PROGRESS)
            .setStep(done).setTotalSteps(total).setProgress((double) done / total).build());
      } catch (Exception e) {
        throw new IllegalStateException("cannot send progress: " + e.getMessage(), e);
      }
    }

    @Override
    public boolean stopRequested() {
      String jobId = task.getSpec().getJobId();
      return control.cancelled(jobId, task.getSpec().getBatchId()) || task.getAttempt() < control.currentAttempt(jobId);
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    consumer.wakeup();
    poller.join(30_000);
    work.shutdownNow();
    work.awaitTermination(10, TimeUnit.SECONDS);
    producer.close(Duration.ofSeconds(5));
  }
}
