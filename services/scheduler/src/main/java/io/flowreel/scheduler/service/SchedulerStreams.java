package io.flowreel.scheduler.service;

import io.flowreel.contract.Stages;
import io.flowreel.contract.TenantSettings;
import io.flowreel.contract.Topics;
import io.flowreel.scheduler.Scheduler;
import io.flowreel.scheduler.SchedulingRules;
import io.flowreel.scheduler.ShareGroupCapacity;
import io.flowreel.messages.Stage;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.apache.kafka.streams.KafkaStreams;
import org.jboss.logging.Logger;

/** The scheduler running in this process. */
@Singleton
public class SchedulerStreams {

  private static final Logger LOG = Logger.getLogger(SchedulerStreams.class);

  private final SchedulerConfig config;
  private final MeterRegistry metrics;
  private Scheduler scheduler;

  SchedulerStreams(SchedulerConfig config, MeterRegistry metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  void onStart(@Observes StartupEvent event) {
    SchedulerConfig.Scheduler settings = config.scheduler();
    SchedulingRules rules = new SchedulingRules(TenantSettings.parse(settings.weights().orElse(""), "weight"),
        TenantSettings.parse(settings.runningQuota().orElse(""), "running quota"), settings.lookahead(), settings.agedAfter(), settings.agedEvery());
    scheduler = Scheduler.start(new Scheduler.Settings(config.kafka().bootstrapServers(), settings.applicationId(),
        settings.stateDir(), settings.commitInterval(), settings.workersEvery(), settings.instanceId(), rules));
    register(scheduler);
    LOG.infof("scheduler %s admits from %s to the stages' task topics: %s", settings.applicationId(),
        Topics.SCHEDULE.name(), rules);
  }

  /**
   * Per stage: its backlog (what an autoscaler sizes the stage by, docs/operations.md), what is admitted and not
   * finished, and the workers its share group has.
   */
  private void register(Scheduler running) {
    for (Stage stage : Stages.PIPELINE) {
      String id = Stages.id(stage);
      Gauge.builder("flowreel.scheduler.tasks.waiting", running.backlog(), b -> b.of(stage).waiting()).tag("stage", id)
          .description("tasks waiting for a worker of the stage, paused ones not counted").register(metrics);
      Gauge.builder("flowreel.scheduler.tasks.admitted", running.backlog(), b -> b.of(stage).admitted())
          .tag("stage", id).description("tasks admitted to the stage's topic and not finished").register(metrics);
      Gauge.builder("flowreel.scheduler.workers", running.capacity(), c -> c.workers(stage)).tag("stage", id)
          .description("workers in the stage's share group, as last counted").register(metrics);
    }
  }

  void onStop(@Observes ShutdownEvent event) {
    if (scheduler != null) {
      scheduler.close();
    }
  }

  public KafkaStreams.State state() {
    return scheduler == null ? KafkaStreams.State.CREATED : scheduler.state();
  }

  public ShareGroupCapacity capacity() {
    return scheduler == null ? null : scheduler.capacity();
  }

  /** Empty while starting. */
  public java.util.Optional<Scheduler> running() {
    return java.util.Optional.ofNullable(scheduler);
  }
}
