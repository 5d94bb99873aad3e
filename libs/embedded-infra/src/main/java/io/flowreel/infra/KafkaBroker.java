package io.flowreel.infra;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) in a child JVM, for tests and the
 * embedded default. Its classpath comes from infra/kafka-broker, which does not share this module's
 * kafka-clients version. Everything lives in {@code dataDir}: server.properties, the log4j2 configuration,
 * broker.log and the partitions under kraft/. Ports are chosen once per data dir and kept, so a restarted broker
 * (after {@link #close()} or {@link #kill()}) has the same bootstrap address and its clients reconnect.
 */
public final class KafkaBroker implements AutoCloseable {

  private static final String MODULE = "kafka-broker";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_GRACE = Duration.ofSeconds(20);

  private final Path dataDir;
  private final String bootstrapServers;
  private final ChildProcess process;
  private final boolean freshStorage;

  private KafkaBroker(Path dataDir, String bootstrapServers, ChildProcess process, boolean freshStorage) {
    this.freshStorage = freshStorage;
    this.dataDir = dataDir;
    this.bootstrapServers = bootstrapServers;
    this.process = process;
  }

  /** Starts a broker on {@code dataDir}, formatting its storage on first use, and returns once it serves clients. */
  public static KafkaBroker start(Path dataDir) {
    Path dir = dataDir.toAbsolutePath().normalize();
    FlowreelHome.serverClasspath(MODULE); // fail before touching the data dir if the broker is not built
    try {
      Files.createDirectories(dir);
      Path config = dir.resolve("server.properties");
      if (!Files.exists(config)) {
        int clientPort = ChildProcess.freePort();
        int controllerPort;
        do {
          controllerPort = ChildProcess.freePort();
        } while (controllerPort == clientPort);
        Files.writeString(config, serverProperties(dir, clientPort, controllerPort));
      }
      Path logConfig = dir.resolve("log4j2.properties");
      Files.writeString(logConfig, LOG4J2_PROPERTIES);
      // C1 only and the serial collector: a third faster to start on two cores, and the broker only moves small
      // messages (tensors go to S3), so C2's peak speed is not missed.
      List<String> jvm = List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
          "-Dlog4j2.configurationFile=" + logConfig.toUri());
      Path log = dir.resolve("broker.log");

      Properties properties = new Properties();
      try (Reader reader = Files.newBufferedReader(config)) {
        properties.load(reader);
      }
      // Format once: formatting again would give the data dir a new cluster id and the broker would refuse it.
      boolean fresh = !Files.exists(Path.of(properties.getProperty("log.dirs")).resolve("meta.properties"));
      if (fresh) {
        ChildProcess.run("Kafka storage formatter", MODULE, jvm, "kafka.tools.StorageTool",
            List.of("format", "--standalone", "-t", Uuid.randomUuid().toString(), "-c", config.toString()), log,
            READY_TIMEOUT);
      }

      String bootstrap = properties.getProperty("advertised.listeners").replace("PLAINTEXT://", "");
      ChildProcess process = ChildProcess.start("Kafka broker", MODULE, jvm, "kafka.Kafka", List.of(config.toString()),
          log, true);
      try (Admin admin = Admin.create(Map.of(
          AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200))) {
        process.awaitReady(READY_TIMEOUT, () -> hasBroker(admin));
      } catch (RuntimeException e) {
        process.kill();
        throw e;
      }
      return new KafkaBroker(dir, bootstrap, process, fresh);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the Kafka broker's data dir " + dir, e);
    }
  }

  private static boolean hasBroker(Admin admin) {
    try {
      return !admin.describeCluster(new DescribeClusterOptions().timeoutMs(1000)).nodes().get(2, TimeUnit.SECONDS)
          .isEmpty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
    } catch (Exception e) {
      return false; // not listening yet, or still starting
    }
  }

  private static String serverProperties(Path dir, int clientPort, int controllerPort) {
    return """
        # Written once by io.flowreel.infra.KafkaBroker; edit freely, it is reused on every restart.
        process.roles=broker,controller
        node.id=1
        listeners=PLAINTEXT://127.0.0.1:%1$d,CONTROLLER://127.0.0.1:%2$d
        advertised.listeners=PLAINTEXT://127.0.0.1:%1$d
        controller.listener.names=CONTROLLER
        controller.quorum.bootstrap.servers=127.0.0.1:%2$d
        inter.broker.listener.name=PLAINTEXT
        listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
        log.dirs=%3$s
        # Topics come from infra/topics.yaml (TopicSetup); a mistyped name must fail, not create a topic.
        auto.create.topics.enable=false
        # One node: every internal topic has one replica.
        default.replication.factor=1
        offsets.topic.replication.factor=1
        transaction.state.log.replication.factor=1
        transaction.state.log.min.isr=1
        share.coordinator.state.topic.replication.factor=1
        share.coordinator.state.topic.min.isr=1
        # Fewer internal partitions than the default 50: they are created at the first group or transaction,
        # and one node gains nothing from 50.
        offsets.topic.num.partitions=6
        transaction.state.log.num.partitions=6
        share.coordinator.state.topic.num.partitions=6
        group.initial.rebalance.delay.ms=0
        # After a crash (kill -9) a restarted broker cannot register until the controller has expired the old
        # incarnation's session: 4 s instead of the default 9 s.
        broker.session.timeout.ms=4000
        broker.heartbeat.interval.ms=1000
        # The default 128 MiB dedupe buffer does not fit the 512 MiB heap next to everything else.
        log.cleaner.dedupe.buffer.size=8388608
        # Share groups are on by default from 4.2; allow 1 s record locks so tests of lock expiry are fast
        # (the default lock stays 30 s).
        group.share.min.record.lock.duration.ms=1000
        # Members learn their assignment on a heartbeat: 500 ms instead of 5 s gets a new consumer working in
        # well under a second. One node can take the extra requests.
        group.share.min.heartbeat.interval.ms=500
        group.share.heartbeat.interval.ms=500
        group.consumer.min.heartbeat.interval.ms=500
        group.consumer.heartbeat.interval.ms=500
        # A member that died (kill -9) leaves its share group after 10 s instead of 45 s.
        group.share.min.session.timeout.ms=5000
        group.share.session.timeout.ms=10000
        """.formatted(clientPort, controllerPort, dir.resolve("kraft"));
  }

  private static final String LOG4J2_PROPERTIES = """
      # Written by io.flowreel.infra.KafkaBroker on every start. WARN and above to stdout, which goes to broker.log.
      status = warn
      # Kafka stops itself on SIGTERM; log4j's own hook would only race it and warn.
      shutdownHook = disable
      appender.out.type = Console
      appender.out.name = out
      appender.out.layout.type = PatternLayout
      appender.out.layout.pattern = [%d] %p %m (%c)%n
      rootLogger.level = warn
      rootLogger.appenderRef.out.ref = out
      # One line per start and stop, so the log shows restarts.
      logger.server.name = kafka.server.KafkaRaftServer
      logger.server.level = info
      """;

  /** Whether this start formatted the storage: a broker that holds no data yet, so nothing to recover. */
  public boolean freshStorage() {
    return freshStorage;
  }

  /** host:port for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The broker's output (WARN and above, plus start and stop lines). */
  public Path logFile() {
    return dataDir.resolve("broker.log");
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Kills the broker with SIGKILL (no controlled shutdown), as a crash would; for failure tests. */
  public void kill() {
    process.kill();
  }

  /** Controlled shutdown; SIGKILL after a grace period. Returns once the process is gone. */
  @Override
  public void close() {
    process.stop(STOP_GRACE);
  }
}
