package io.flowreel.gateway;

import io.flowreel.infra.DataDirs;
import io.flowreel.infra.FlowreelHome;
import io.flowreel.infra.KafkaBroker;
import io.flowreel.infra.TopicCatalog;
import io.flowreel.infra.TopicSetup;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the gateway needs around it, started before it: a real single-node Kafka broker (a child
 * JVM, see libs/embedded-infra) with every topic of infra/topics.yaml, and a {@link FakeTracker},
 * which is injected into the test's {@code FakeTracker} field. S3 needs nothing running: the gateway
 * only signs links, locally. The broker's data and log stay under target/quarkus-test-data/gateway.
 */
public class GatewayTestResources implements QuarkusTestResourceLifecycleManager {

  /** Where signed download links point: a name no request ever goes to. */
  static final String PUBLIC_S3 = "https://downloads.example.test";

  private static volatile long brokerPid;
  private KafkaBroker broker;
  private FakeTracker tracker;

  @Override
  public Map<String, String> start() {
    Path dir = DataDirs.fresh(Path.of("target", "quarkus-test-data", "gateway"));
    broker = KafkaBroker.start(dir.resolve("kafka"));
    brokerPid = broker.pid();
    TopicSetup.apply(broker.bootstrapServers(), TopicCatalog.standard()).requireNoMismatch();
    tracker = new FakeTracker();
    return Map.of(
        "flowreel.kafka.bootstrap-servers", broker.bootstrapServers(),
        "flowreel.tracker.url", tracker.url().toString(),
        "flowreel.s3.endpoint", "http://s3.internal.example.test:9000",
        "flowreel.s3.public-endpoint", PUBLIC_S3,
        "flowreel.s3.access-key", "test-access-key",
        "flowreel.s3.secret-key", "test-secret-key",
        // The checkout: the gateway loads models/tiny from it to check sizes and defaults.
        "flowreel.home", FlowreelHome.locate().toString(),
        "flowreel.gateway.instance-id", "quarkus-test",
        // A free port instead of 8081: other builds may run on this machine at the same time.
        "quarkus.http.test-port", "0");
  }

  /** The broker's process, for tests that freeze it (SIGSTOP) as a network partition would. */
  static long brokerPid() {
    return brokerPid;
  }

  @Override
  public void inject(TestInjector injector) {
    injector.injectIntoFields(tracker, new TestInjector.MatchesType(FakeTracker.class));
  }

  @Override
  public void stop() {
    if (tracker != null) {
      tracker.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

}
