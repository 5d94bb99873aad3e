package io.flowreel.bench;

import io.flowreel.contract.Stages;
import io.flowreel.contract.TenantSettings;
import io.flowreel.contract.Topics;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.SchedulerInput;
import io.flowreel.messages.SchedulerInputKind;
import io.flowreel.scheduler.Scheduler;
import io.flowreel.scheduler.SchedulingRules;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The scheduler beside in-process workers, set as the service sets it: {@code FLOWREEL_SCHEDULER_LOOKAHEAD} and
 * {@code FLOWREEL_SCHEDULER_COMMIT_INTERVAL} (milliseconds) as the service reads them, defaults 0 and 10.
 */
final class BenchScheduler {

  private BenchScheduler() {}

  static Scheduler start(String bootstrapServers, Path stateDir) throws InterruptedException {
    int lookahead = Integer.parseInt(System.getenv().getOrDefault("FLOWREEL_SCHEDULER_LOOKAHEAD", "0"));
    long commitMillis = Long.parseLong(System.getenv().getOrDefault("FLOWREEL_SCHEDULER_COMMIT_INTERVAL", "10"));
    Scheduler scheduler = Scheduler.start(new Scheduler.Settings(bootstrapServers, "flowreel-scheduler", stateDir,
        Duration.ofMillis(commitMillis), Duration.ofSeconds(1), Optional.empty(),
        new SchedulingRules(TenantSettings.NONE, TenantSettings.NONE, lookahead, Duration.ofMinutes(10), 10)));
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (scheduler.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the scheduler is not running after 60 s: " + scheduler.state());
      }
      Thread.sleep(100);
    }
    System.err.printf("scheduler running (lookahead %d, commit interval %d ms)%n", lookahead, commitMillis);
    return scheduler;
  }

  /** Puts the task in the scheduler's queue for its first stage, as the gateway does. */
  static void submit(KafkaProducer<String, byte[]> producer, RenderTask task) {
    SchedulerInput waiting = SchedulerInput.newBuilder().setKind(SchedulerInputKind.WAITING).setTask(task)
        .setTimeMillis(System.currentTimeMillis()).setWorker("bench").build();
    producer.send(new ProducerRecord<>(Topics.SCHEDULE.name(), Stages.id(task.getRoutingSlip().get(0)),
        Topics.SCHEDULE.serializeValue(waiting)));
  }
}
