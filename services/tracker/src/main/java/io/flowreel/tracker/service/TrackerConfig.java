package io.flowreel.tracker.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What the tracker service reads from its configuration; each property also comes from the
 * environment ({@code flowreel.tracker.state-dir} is {@code FLOWREEL_TRACKER_STATE_DIR}).
 */
@ConfigMapping(prefix = "flowreel")
public interface TrackerConfig {

  Kafka kafka();

  Tracker tracker();

  S3 s3();

  Buckets buckets();

  RetentionConfig retention();

  interface S3 {
    String endpoint();

    String accessKey();

    String secretKey();
  }

  interface Buckets {
    @WithDefault("flowreel-work")
    String work();

    @WithDefault("flowreel-output")
    String output();
  }

  /** The storage lifecycle ({@code StorageJanitor}, {@code Retention}); docs/tracker.md "Storage lifecycle". */
  interface RetentionConfig {
    /**
     * How long a finished job's work objects stay for a retry from a stage: a day covers a studio
     * looking at a failed job the next morning.
     */
    @WithDefault("24h")
    Duration work();

    /** How long a published job's MP4, poster and manifest stay in the output bucket. */
    @WithDefault("30d")
    Duration outputs();

    /** How often finished jobs are looked at; deletions happen at most this late. */
    @WithDefault("1m")
    Duration scanInterval();
  }

  interface Kafka {
    String bootstrapServers();
  }

  interface Tracker {
    /** Kafka Streams application id: the consumer group and the prefix of the internal topics. */
    @WithDefault("flowreel-tracker")
    String applicationId();

    /**
     * This instance's stable name (a pod or process slot, for example {@code tracker-1}), used as its
     * static group membership: restarted after a crash, it takes its partitions back at once instead of
     * waiting out its dead predecessor's session (45 s of no status). Unset: dynamic membership.
     */
    Optional<String> instanceId();

    /** Where the stores live on disk; rebuilt from the changelog topics when lost. */
    @WithDefault("${java.io.tmpdir}/flowreel-tracker")
    Path stateDir();

    /**
     * How often results are committed and caches flushed: how stale a query may be. Status is read by
     * people watching a render, so well under a second.
     */
    @WithDefault("100ms")
    Duration commitInterval();

    /**
     * How long a QUEUED or RUNNING job may go without an event before it is reported stuck
     * ({@code StuckJobs}): above the longest a stage may run without a PROGRESS event and the longest a
     * job normally waits in a queue.
     */
    @WithDefault("30m")
    Duration stuckAfter();
  }
}
