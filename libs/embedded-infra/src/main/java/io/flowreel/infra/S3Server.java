package io.flowreel.infra;

import io.flowreel.contract.ApiKeys;
import java.nio.file.attribute.PosixFilePermissions;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

/**
 * A real S3 API server (S3Proxy with its filesystem backend) in a child JVM, for tests and the embedded default;
 * production uses MinIO through the same client code. Its classpath comes from infra/s3-server. Everything lives
 * in {@code dataDir}: s3proxy.properties (endpoint and credentials, generated once and kept, so a restarted
 * server has the same address and keys), logback.xml, s3proxy.log and the objects under blobs/.
 *
 * <p>S3Proxy is not MinIO: no object or bucket tags, lifecycle rules, notifications or composeObject, and no
 * single PUT above 128 MiB (use multipart parts of at most that). See docs/infrastructure.md.
 */
public final class S3Server implements AutoCloseable {

  private static final String MODULE = "s3-server";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final Path dataDir;
  private final String endpoint;
  private final String accessKey;
  private final String secretKey;
  private final ChildProcess process;

  private S3Server(Path dataDir, Properties properties, ChildProcess process) {
    this.dataDir = dataDir;
    this.endpoint = properties.getProperty("s3proxy.endpoint");
    this.accessKey = properties.getProperty("s3proxy.identity");
    this.secretKey = properties.getProperty("s3proxy.credential");
    this.process = process;
  }

  /** Starts the server on {@code dataDir} and returns once it answers HTTP requests. */
  public static S3Server start(Path dataDir) {
    Path dir = dataDir.toAbsolutePath().normalize();
    FlowreelHome.serverClasspath(MODULE); // fail before touching the data dir if the server is not built
    try {
      Path blobs = Files.createDirectories(dir.resolve("blobs"));
      // The filesystem backend keeps object metadata (content type, user metadata) in user extended attributes.
      if (!Files.getFileStore(blobs).supportsFileAttributeView(UserDefinedFileAttributeView.class)) {
        throw new IllegalStateException(blobs + " is on a file system without user extended attributes, which "
            + "S3Proxy's filesystem backend needs; choose a data dir on ext4, xfs, btrfs or /tmp");
      }
      Path config = dir.resolve("s3proxy.properties");
      if (!Files.exists(config)) {
        ApiKeys.createOwnerOnly(config); // it holds the S3 secret
        Files.writeString(config, s3proxyProperties(blobs, ChildProcess.freePort()));
      }
      Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------")); // older data folders
      Properties properties = new Properties();
      try (Reader reader = Files.newBufferedReader(config)) {
        properties.load(reader);
      }
      Path logConfig = dir.resolve("logback.xml");
      Files.writeString(logConfig, LOGBACK_XML);

      ChildProcess process = ChildProcess.start("S3 server", MODULE,
          List.of("-Xmx256m", "-Dlogback.configurationFile=" + logConfig),
          "org.gaul.s3proxy.Main", List.of("--properties", config.toString()), dir.resolve("s3proxy.log"), true);
      URI uri = URI.create(properties.getProperty("s3proxy.endpoint") + "/");
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      try {
        process.awaitReady(READY_TIMEOUT, () -> answers(http, uri));
      } catch (RuntimeException e) {
        process.kill();
        throw e;
      }
      return new S3Server(dir, properties, process);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the S3 server's data dir " + dir, e);
    }
  }

  /** Any HTTP answer counts (an anonymous request gets 403): it means the S3 handler is up. */
  private static boolean answers(HttpClient http, URI uri) {
    try {
      http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build(),
          HttpResponse.BodyHandlers.discarding());
      return true;
    } catch (IOException e) {
      return false; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the S3 server", e);
    }
  }

  private static String s3proxyProperties(Path blobs, int port) {
    SecureRandom random = new SecureRandom();
    byte[] key = new byte[10];
    byte[] secret = new byte[20];
    random.nextBytes(key);
    random.nextBytes(secret);
    return """
        # Written once by io.flowreel.infra.S3Server; reused on every restart.
        s3proxy.endpoint=http://127.0.0.1:%d
        s3proxy.authorization=aws-v2-or-v4
        s3proxy.identity=%s
        s3proxy.credential=%s
        jclouds.provider=filesystem
        jclouds.filesystem.basedir=%s
        """.formatted(port, "FLOWREEL" + HexFormat.of().withUpperCase().formatHex(key),
        HexFormat.of().formatHex(secret), blobs);
  }

  private static final String LOGBACK_XML = """
      <!-- Written by io.flowreel.infra.S3Server on every start. Without it logback logs DEBUG. -->
      <configuration>
        <appender name="out" class="ch.qos.logback.core.ConsoleAppender">
          <encoder><pattern>%d{ISO8601} %level %logger{20} - %msg%n</pattern></encoder>
        </appender>
        <root level="WARN"><appender-ref ref="out"/></root>
      </configuration>
      """;

  /** http://127.0.0.1:port */
  public String endpoint() {
    return endpoint;
  }

  public String accessKey() {
    return accessKey;
  }

  public String secretKey() {
    return secretKey;
  }

  public Path dataDir() {
    return dataDir;
  }

  public Path logFile() {
    return dataDir.resolve("s3proxy.log");
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL, as a crash would; for failure tests. */
  public void kill() {
    process.kill();
  }

  @Override
  public void close() {
    process.stop(STOP_GRACE);
  }
}
