package io.flowreel.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.infra.BucketSetup;
import io.flowreel.infra.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared side of the engine cache, against a real S3 server (S3Proxy in a child process). */
class EngineCacheS3Test {

  private static final String BUCKET = "flowreel-work";

  @TempDir static Path servers;
  @TempDir Path workers;
  private static S3Server s3;
  private static S3EngineStore store;

  @BeforeAll
  static void start() throws Exception {
    s3 = S3Server.start(servers.resolve("s3"));
    BucketSetup.ensure(s3.endpoint(), s3.accessKey(), s3.secretKey(), BUCKET);
    store = new S3EngineStore(s3.endpoint(), s3.accessKey(), s3.secretKey(), BUCKET);
  }

  @AfterAll
  static void stop() throws Exception {
    store.close();
    s3.close();
  }

  /** A worker on another machine: its own empty local folder, the shared bucket. */
  private EngineCache worker(String name) {
    return new EngineCache(workers.resolve(name), Optional.of(store));
  }

  @Test
  void theSecondWorkerLoadsTheFirstWorkersEngineInsteadOfBuilding() throws Exception {
    EngineCacheTest.SlowBuilder first = new EngineCacheTest.SlowBuilder(7);
    EngineCache.Entry built = worker("a").get(EngineCacheTest.KEY, first);
    EngineCacheTest.SlowBuilder second = new EngineCacheTest.SlowBuilder(8);
    EngineCache.Entry loaded = worker("b").get(EngineCacheTest.KEY, second);

    assertThat(built.source()).isEqualTo(EngineCache.Source.BUILT);
    assertThat(loaded.source()).isEqualTo(EngineCache.Source.S3);
    assertThat(second.builds).hasValue(0);
    assertThat(Files.readAllBytes(loaded.file())).isEqualTo(Files.readAllBytes(built.file()));
    // Kept locally as well, verified by its sidecar next time.
    assertThat(worker("b").get(EngineCacheTest.KEY, second).source()).isEqualTo(EngineCache.Source.LOCAL);
  }

  @Test
  void anObjectThatDoesNotMatchItsHashIsBuiltAgainAndReplaced() throws Exception {
    EngineCacheKey key = new EngineCacheKey("decoder", EngineCacheTest.KEY.onnxSha256(), "11.2.0.5", "9.0",
        "256x256x17-p00c0ffee", Precision.FP32);
    EngineCache.Entry good = worker("c").get(key, new EngineCacheTest.SlowBuilder(7));
    // Other bytes under the same name, still claiming the first engine's hash.
    Path tampered = workers.resolve("tampered");
    Files.write(tampered, new byte[] {1, 2, 3});
    store.upload(tampered, key.fileName(), EngineCache.sha256(good.file()));

    EngineCacheTest.SlowBuilder rebuild = new EngineCacheTest.SlowBuilder(9);
    EngineCache.Entry rebuilt = worker("d").get(key, rebuild);
    assertThat(rebuilt.source()).isEqualTo(EngineCache.Source.BUILT);
    assertThat(rebuild.builds).hasValue(1);

    EngineCache.Entry next = worker("e").get(key, new EngineCacheTest.SlowBuilder(10));
    assertThat(next.source()).isEqualTo(EngineCache.Source.S3);
    assertThat(Files.readAllBytes(next.file())).isEqualTo(Files.readAllBytes(rebuilt.file()));
  }
}
