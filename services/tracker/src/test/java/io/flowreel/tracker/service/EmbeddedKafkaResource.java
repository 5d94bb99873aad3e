package io.flowreel.tracker.service;

import io.flowreel.infra.BucketSetup;
import io.flowreel.infra.DataDirs;
import io.flowreel.infra.KafkaBroker;
import io.flowreel.infra.S3Server;
import io.flowreel.infra.TopicCatalog;
import io.flowreel.infra.TopicSetup;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real single-node Kafka broker (a child JVM, see libs/embedded-infra) with every topic of
 * infra/topics.yaml, started before the tracker service and given to it through its configuration.
 * Its data, its log (broker.log) and the tracker's state dir stay under
 * target/quarkus-test-data/tracker after the run, for a failed test to be read.
 */
public class EmbeddedKafkaResource implements QuarkusTestResourceLifecycleManager {

  private KafkaBroker broker;
  private S3Server s3;

  @Override
  public Map<String, String> start() {
    Path dir = DataDirs.fresh(Path.of("target", "quarkus-test-data", "tracker"));
    broker = KafkaBroker.start(dir.resolve("kafka"));
    TopicSetup.apply(broker.bootstrapServers(), TopicCatalog.standard()).requireNoMismatch();
    // The storage lifecycle's S3 server; its retention is left at the defaults, so it deletes nothing here.
    s3 = S3Server.start(dir.resolve("s3"));
    BucketSetup.ensure(s3.endpoint(), s3.accessKey(), s3.secretKey(), "work", "output");
    return Map.of(
        "flowreel.s3.endpoint", s3.endpoint(),
        "flowreel.s3.access-key", s3.accessKey(),
        "flowreel.s3.secret-key", s3.secretKey(),
        "flowreel.buckets.work", "work",
        "flowreel.buckets.output", "output",
        "flowreel.kafka.bootstrap-servers", broker.bootstrapServers(),
        "flowreel.tracker.state-dir", dir.resolve("streams-state").toString(),
        "flowreel.tracker.application-id", "flowreel-tracker-test",
        // A free port instead of 8081: other builds may run on this machine at the same time.
        "quarkus.http.test-port", "0");
  }

  @Override
  public void stop() {
    if (broker != null) {
      broker.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

}
