package io.flowreel.scheduler.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What the scheduler service reads from its configuration; each property also comes from the environment
 * ({@code flowreel.scheduler.weights} is {@code FLOWREEL_SCHEDULER_WEIGHTS}). docs/scheduling.md explains each.
 */
@ConfigMapping(prefix = "flowreel")
public interface SchedulerConfig {

  Kafka kafka();

  Scheduler scheduler();

  interface Kafka {
    String bootstrapServers();
  }

  interface Scheduler {
    /** Kafka Streams application id: the consumer group and the prefix of the internal topics. */
    @WithDefault("flowreel-scheduler")
    String applicationId();

    /** This instance's stable name, for static group membership (as the tracker's). Unset: dynamic membership. */
    Optional<String> instanceId();

    /** Where the stores live on disk; rebuilt from the changelog topics when lost. */
    @WithDefault("${java.io.tmpdir}/flowreel-scheduler")
    Path stateDir();

    /**
     * How often admissions are committed. An admitted task is visible to the stage's workers only once
     * committed (exactly once), so this is most of what the scheduler adds to each hop.
     */
    @WithDefault("10ms")
    Duration commitInterval();

    /** Fair-share weights, {@code TENANT=WEIGHT,...,*=WEIGHT}; a tenant not named has the weight of {@code *}, or 1. */
    Optional<String> weights();

    /**
     * Most tasks of a tenant running at once at each stage, {@code TENANT=N,...,*=N}; a tenant not named has the
     * quota of {@code *}, or none.
     */
    Optional<String> runningQuota();

    /** Tasks admitted to a stage beyond its number of workers (0: priorities exact). */
    @WithDefault("0")
    int lookahead();

    /** A task waiting longer than this is aged and gets one admission in {@code aged-every} whatever its priority. */
    @WithDefault("10m")
    Duration agedAfter();

    @WithDefault("10")
    int agedEvery();

    /** How often each stage's workers are counted (members of its share group). */
    @WithDefault("1s")
    Duration workersEvery();
  }
}
