package io.flowreel.scheduler.service;

import io.flowreel.contract.TenantSettings;
import io.flowreel.contract.Topics;
import io.flowreel.scheduler.Scheduler;
import io.flowreel.scheduler.SchedulingRules;
import io.flowreel.scheduler.ShareGroupCapacity;
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
  private Scheduler scheduler;

  SchedulerStreams(SchedulerConfig config) {
    this.config = config;
  }

  void onStart(@Observes StartupEvent event) {
    SchedulerConfig.Scheduler settings = config.scheduler();
    SchedulingRules rules = new SchedulingRules(TenantSettings.parse(settings.weights().orElse(""), "weight"),
        TenantSettings.parse(settings.runningQuota().orElse(""), "running quota"), settings.lookahead(), settings.agedAfter(), settings.agedEvery());
    scheduler = Scheduler.start(new Scheduler.Settings(config.kafka().bootstrapServers(), settings.applicationId(),
        settings.stateDir(), settings.commitInterval(), settings.workersEvery(), settings.instanceId(), rules));
    LOG.infof("scheduler %s admits from %s to the stages' task topics: %s", settings.applicationId(),
        Topics.SCHEDULE.name(), rules);
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
}
