package io.flowreel.gateway;

import io.flowreel.contract.ApiKeys;
import io.flowreel.infra.DataDirs;
import io.flowreel.infra.FlowreelHome;
import io.flowreel.infra.KafkaBroker;
import io.flowreel.infra.TopicCatalog;
import io.flowreel.infra.TopicSetup;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the gateway needs around it, started before it: a real single-node Kafka broker (a child
 * JVM, see libs/embedded-infra) with every topic of infra/topics.yaml, and a {@link FakeTracker},
 * which is injected into the test's {@code FakeTracker} field. S3 needs nothing running: the gateway
 * only signs links, locally. The broker's data and log stay under target/quarkus-test-data/gateway.
 */
public class GatewayTestResources implements QuarkusTestResourceLifecycleManager {

  /** Where signed download links point: a name no request ever goes to. */
  static final String PUBLIC_S3 = "https://downloads.example.test";

  /** Tenants with a studio key; {@link #OPERATOR} names the operator's. */
  static final String[] TENANTS = {"default", "it-studio", "studio-q", "studio-b"};
  static final String OPERATOR = "farm-ops";

  /** Caps small enough that a test reaches each of them in a second (defaults: 100, 2000 and 10000). */
  static final int MAX_STREAMS_PER_TENANT = 20;
  static final int MAX_STREAMS = 50;
  static final int MAX_JOBS_PER_BATCH = 50;

  private static volatile long brokerPid;
  private static volatile Path keysFile;
  private static final Map<String, String> KEYS = new ConcurrentHashMap<>();
  private KafkaBroker broker;
  private FakeTracker tracker;

  @Override
  public Map<String, String> start() {
    Path dir = DataDirs.fresh(Path.of("target", "quarkus-test-data", "gateway"));
    broker = KafkaBroker.start(dir.resolve("kafka"));
    brokerPid = broker.pid();
    TopicSetup.apply(broker.bootstrapServers(), TopicCatalog.standard()).requireNoMismatch();
    tracker = new FakeTracker();
    keysFile = dir.resolve("api-keys");
    try {
      for (String tenant : TENANTS) {
        KEYS.put(tenant, ApiKeys.issue(keysFile, tenant, ApiKeys.Role.STUDIO));
      }
      KEYS.put(OPERATOR, ApiKeys.issue(keysFile, OPERATOR, ApiKeys.Role.OPERATOR));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Map.ofEntries(
        Map.entry("flowreel.gateway.api-keys-file", keysFile.toString()),
        Map.entry("flowreel.gateway.id-secret", "gateway-test-secret-of-32-characters"),
        Map.entry("flowreel.kafka.bootstrap-servers", broker.bootstrapServers()),
        Map.entry("flowreel.tracker.url", tracker.url().toString()),
        Map.entry("flowreel.s3.endpoint", "http://s3.internal.example.test:9000"),
        Map.entry("flowreel.s3.public-endpoint", PUBLIC_S3),
        Map.entry("flowreel.s3.access-key", "test-access-key"),
        Map.entry("flowreel.s3.secret-key", "test-secret-key"),
        // The checkout: the gateway loads models/tiny from it to check sizes and defaults.
        Map.entry("flowreel.home", FlowreelHome.locate().toString()),
        Map.entry("flowreel.gateway.instance-id", "quarkus-test"),
        Map.entry("flowreel.gateway.max-event-streams-per-tenant", Integer.toString(MAX_STREAMS_PER_TENANT)),
        Map.entry("flowreel.gateway.max-event-streams", Integer.toString(MAX_STREAMS)),
        Map.entry("flowreel.gateway.max-jobs-per-batch", Integer.toString(MAX_JOBS_PER_BATCH)),
        // A free port instead of 8081: other builds may run on this machine at the same time.
        Map.entry("quarkus.http.test-port", "0"));
  }

  /** The broker's process, for tests that freeze it (SIGSTOP) as a network partition would. */
  static long brokerPid() {
    return brokerPid;
  }

  /** The API key of a tenant in {@link #TENANTS}, or of {@link #OPERATOR}. */
  static String key(String tenant) {
    String key = KEYS.get(tenant);
    if (key == null) {
      throw new IllegalArgumentException("no test key for " + tenant);
    }
    return key;
  }

  /** The gateway's keys file, for a test that adds a key while it runs. */
  static Path keysFile() {
    return keysFile;
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
