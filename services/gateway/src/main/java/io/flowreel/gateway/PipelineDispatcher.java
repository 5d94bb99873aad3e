package io.flowreel.gateway;

import io.flowreel.contract.Stages;
import io.flowreel.messages.BatchSubmission;
import io.flowreel.messages.ControlAction;
import io.flowreel.messages.ControlCommand;
import io.flowreel.messages.ControlTargetKind;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.SchedulerInput;
import io.flowreel.messages.SchedulerInputKind;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.contract.Topics;
import io.flowreel.contract.TraceHeaders;
import io.flowreel.telemetry.Tracing;
import io.flowreel.tracker.JobState;
import io.flowreel.tracker.JobStatus;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Everything the gateway sends into the pipeline, each in one Kafka transaction: a batch (its
 * submission record, every job's first task and QUEUED event), a retry (RESUME with the new
 * attempt, the task, its QUEUED event) and cancellations. Readers read committed, so a gateway that
 * dies half-way through a batch of thousands leaves nothing behind, and the client's retry with the
 * same Idempotency-Key submits it whole.
 */
@Singleton
public class PipelineDispatcher {

  private static final Logger LOG = Logger.getLogger(PipelineDispatcher.class);

  /**
   * How long a request waits for the broker before it is answered 503: a client repeats a refused
   * submission, so failing fast during an outage beats holding its connection.
   */
  private static final Duration BROKER_WAIT = Duration.ofSeconds(5);

  private final GatewayConfig config;
  private KafkaProducer<String, byte[]> producer;
  private AutoCloseable tracing = () -> { };

  PipelineDispatcher(GatewayConfig config) {
    this.config = config;
  }

  void onStart(@Observes StartupEvent event) {
    tracing = Tracing.start("flowreel-gateway");
    try {
      producer = newProducer();
    } catch (KafkaException e) {
      // A fresh broker creates its transaction log on the first InitProducerId, which can outlast
      // BROKER_WAIT on a busy machine; the first request makes the producer, as after an outage.
      LOG.warnf("the broker did not answer InitProducerId at start-up (%s); the first request tries again",
          e.getMessage());
    }
  }

  private KafkaProducer<String, byte[]> newProducer() {
    String instance = config.gateway().instanceId().orElseGet(PipelineDispatcher::defaultInstanceId);
    KafkaProducer<String, byte[]> created = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers(),
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, "flowreel-gateway-" + instance,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(BROKER_WAIT.toMillis()),
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(BROKER_WAIT.toMillis()),
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(2 * BROKER_WAIT.toMillis()),
        // A batch of thousands of tasks goes out in few requests.
        ProducerConfig.LINGER_MS_CONFIG, "5"),
        new StringSerializer(), new ByteArraySerializer());
    try {
      created.initTransactions();
    } catch (RuntimeException e) {
      created.close(Duration.ZERO);
      throw e;
    }
    return created;
  }

  void onStop(@Observes ShutdownEvent event) throws Exception {
    if (producer != null) {
      producer.close(Duration.ofSeconds(10));
    }
    tracing.close();
  }

  /** Submits a whole batch or nothing. */
  public synchronized void submit(BatchSubmission batch, List<RenderTask> tasks) {
    traced("submit job", tasks, () -> inTransaction(() -> {
      send(Topics.BATCHES.name(), batch.getBatchId(), Topics.BATCHES.serializeValue(batch));
      for (RenderTask task : tasks) {
        sendTask(task);
      }
    }));
  }

  /**
   * Re-runs a job from the task's first stage as a new attempt. RESUME carries the attempt: workers
   * then drop any task of an older attempt, and a CANCEL of the job or its batch no longer applies.
   */
  public synchronized void retry(RenderTask task) {
    retryAll(List.of(task));
  }

  /** Re-runs several jobs, each as {@link #retry} does, in one transaction: all of them or none. */
  public synchronized void retryAll(List<RenderTask> tasks) {
    traced("retry job", tasks, () -> inTransaction(() -> {
      for (RenderTask task : tasks) {
        String jobId = task.getSpec().getJobId();
        sendControl(control(jobId, ControlTargetKind.JOB, ControlAction.RESUME, "retry from "
            + Stages.id(task.getRoutingSlip().get(0))).setAttempt(task.getAttempt()).build());
        sendTask(task);
      }
    }));
  }

  /**
   * Starts each job's trace, one per job rather than per request (a batch of thousands would make one
   * unreadable trace): a root span for its submission (or retry), ended once the transaction is committed, its
   * context written into the task, where every stage opens its span under it.
   */
  private static void traced(String operation, List<RenderTask> tasks, Runnable send) {
    List<Span> spans = new ArrayList<>(tasks.size());
    for (RenderTask task : tasks) {
      Span span = Tracing.tracer().spanBuilder(operation).setNoParent().setSpanKind(SpanKind.PRODUCER)
          .setAttribute("flowreel.job.id", task.getSpec().getJobId())
          .setAttribute("flowreel.batch.id", task.getSpec().getBatchId())
          .setAttribute("flowreel.tenant", task.getSpec().getTenant())
          .setAttribute("flowreel.attempt", task.getAttempt())
          .startSpan();
      task.setTraceId(Tracing.traceparent(span));
      spans.add(span);
    }
    try {
      send.run();
    } catch (RuntimeException e) {
      spans.forEach(span -> span.setStatus(StatusCode.ERROR, e.getMessage()));
      throw e;
    } finally {
      spans.forEach(Span::end);
    }
  }

  /**
   * Cancels a job: the CANCEL command every stage reads and, when the job is still {@code queued} (no stage has
   * started it), its CANCELLED event, so that it shows CANCELLED at once instead of when a stage reaches its task.
   */
  public synchronized void cancelJob(JobStatus job, String reason) {
    inTransaction(() -> {
      ControlCommand cancel = control(job.jobId(), ControlTargetKind.JOB, ControlAction.CANCEL, reason)
          .setAttempt(job.attempt()).build();
      sendControl(cancel);
      toScheduler(cancel);
      if (job.state() == JobState.QUEUED) {
        sendCancelled(job, reason);
      }
    });
  }

  /**
   * Cancels a batch: one CANCEL command, and a CANCELLED event for each of its {@code queued} jobs. A
   * queued job's tasks still wait in the scheduler, which drops them when their turn comes; only their status does
   * not wait for that.
   */
  public synchronized void cancelBatch(String batchId, List<JobStatus> queued, String reason) {
    inTransaction(() -> {
      ControlCommand cancel = control(batchId, ControlTargetKind.BATCH, ControlAction.CANCEL, reason).build();
      sendControl(cancel);
      toScheduler(cancel);
      queued.forEach(job -> sendCancelled(job, reason));
    });
  }

  /**
   * Pauses, resumes or reprioritises a job's or a batch's waiting work. Only the scheduler acts on these, so they go
   * to it alone, never to the control topic, where the latest command per target is all that is kept: a PAUSE
   * there would replace a CANCEL, or the attempt a retry's RESUME fences older tasks with.
   */
  public synchronized void steer(String targetId, ControlTargetKind kind, ControlAction action, Integer priority,
      String reason) {
    inTransaction(() -> toScheduler(control(targetId, kind, action, reason).setPriority(priority).build()));
  }

  /** The command to the scheduler at every stage: each stage's waiting work is in its own partition. */
  private void toScheduler(ControlCommand command) {
    for (Stage stage : Stages.PIPELINE) {
      SchedulerInput input = SchedulerInput.newBuilder().setKind(SchedulerInputKind.CONTROL).setCommand(command)
          .setTimeMillis(command.getTimeMillis()).setWorker(Stages.GATEWAY_WORKER).build();
      send(Topics.SCHEDULE.name(), Stages.id(stage), Topics.SCHEDULE.serializeValue(input));
    }
  }

  /**
   * The tracker applies it only if the job is still QUEUED when it reads it (JobStateMachine): a job that a stage
   * started meanwhile is stopped by that stage, which reads the CANCEL sent in the same transaction.
   */
  private void sendCancelled(JobStatus job, String reason) {
    if (job.spec() == null) {
      return; // nothing says where it waits: the stage that reaches its task reports the cancel
    }
    List<Stage> slip = Stages.routingSlip(job.spec().rewrite(), job.spec().upsample());
    // A retried job waits at the first stage its attempt has not passed.
    Stage waitingAt = slip.stream().filter(stage -> !job.stages().containsKey(stage.name())).findFirst()
        .orElse(slip.get(0));
    send(Topics.EVENTS.name(), job.jobId(), Topics.EVENTS.serializeValue(
        event(job.jobId(), job.batchId(), job.tenant(), waitingAt, job.attempt(), StageEventType.CANCELLED)
            .setError(reason).build()));
  }

  private void sendTask(RenderTask task) {
    String jobId = task.getSpec().getJobId();
    // To the scheduler, which admits it to its first stage in priority and fair-share order.
    SchedulerInput waiting = SchedulerInput.newBuilder().setKind(SchedulerInputKind.WAITING).setTask(task)
        .setTimeMillis(System.currentTimeMillis()).setWorker(Stages.GATEWAY_WORKER).build();
    producer.send(new ProducerRecord<>(Topics.SCHEDULE.name(), null, Stages.id(task.getRoutingSlip().get(0)),
        Topics.SCHEDULE.serializeValue(waiting), TraceHeaders.of(task)));
    StageEvent queued = event(jobId, task.getSpec().getBatchId(), task.getSpec().getTenant(),
        task.getRoutingSlip().get(0), task.getAttempt(), StageEventType.QUEUED).setSpec(task.getSpec()).build();
    producer.send(new ProducerRecord<>(Topics.EVENTS.name(), null, jobId, Topics.EVENTS.serializeValue(queued),
        TraceHeaders.of(task)));
  }

  private static StageEvent.Builder event(String jobId, String batchId, String tenant, Stage stage, int attempt,
      StageEventType type) {
    return StageEvent.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setJobId(jobId)
        .setBatchId(batchId)
        .setTenant(tenant)
        .setStage(stage)
        .setAttempt(attempt)
        .setType(type)
        .setTimeMillis(System.currentTimeMillis())
        .setWorker(Stages.GATEWAY_WORKER);
  }

  private void sendControl(ControlCommand command) {
    send(Topics.CONTROL.name(), command.getTargetId(), Topics.CONTROL.serializeValue(command));
  }

  private static ControlCommand.Builder control(String id, ControlTargetKind kind, ControlAction action,
      String reason) {
    return ControlCommand.newBuilder().setTargetId(id).setTargetKind(kind).setAction(action).setReason(reason)
        .setTimeMillis(System.currentTimeMillis());
  }

  private void send(String topic, String key, byte[] value) {
    producer.send(new ProducerRecord<>(topic, key, value));
  }

  /**
   * Runs {@code sends} in one transaction. When it fails (the broker is down, say), the producer is
   * dropped rather than aborted, which would wait for the broker too: the next request makes a new
   * one with the same transactional id, and its {@code initTransactions} aborts the open
   * transaction once the broker answers, so nothing of the failed request is ever committed.
   */
  private void inTransaction(Runnable sends) {
    try {
      if (producer == null) {
        producer = newProducer();
      }
      producer.beginTransaction();
      sends.run();
      producer.commitTransaction(); // flushes; throws if any send failed
    } catch (KafkaException | IllegalStateException e) {
      if (producer != null) {
        producer.close(Duration.ZERO);
        producer = null;
      }
      throw new BusUnavailableException("the pipeline did not accept the request: " + e.getMessage(), e);
    }
  }

  /**
   * The host's name: stable across restarts of the same instance (a pod of a StatefulSet, a
   * machine), so a restarted gateway fences its predecessor's open transaction instead of leaving it
   * to time out. Two gateways on one host need {@code FLOWREEL_GATEWAY_INSTANCE_ID} each.
   */
  private static String defaultInstanceId() {
    String host = System.getenv("HOSTNAME");
    if (host != null && !host.isBlank()) {
      return host;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "localhost";
    }
  }

  /** The broker did not take a request: nothing of it was committed, so the client may simply repeat it. */
  public static final class BusUnavailableException extends RuntimeException {
    BusUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
