package io.flowreel.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local side of the engine cache, on real files; a "build" writes known bytes slowly. */
class EngineCacheTest {

  static final EngineCacheKey KEY = new EngineCacheKey("dit",
      "12b0748cf0a86005b450c8424b6b4bb6696df6289f6b84d25353e6ffbf32fcb9", "11.2.0.5", "9.0", "256x256x17-p1a2b3c4d",
      Precision.FP32);

  @TempDir Path dir;

  /** Writes a 3 MiB engine in small pieces, so a reader of a half-written file would see it short. */
  static final class SlowBuilder implements EngineCache.Builder {
    final AtomicInteger builds = new AtomicInteger();
    final byte fill;

    SlowBuilder(int fill) {
      this.fill = (byte) fill;
    }

    @Override
    public void build(Path target) throws IOException {
      builds.incrementAndGet();
      byte[] piece = new byte[64 * 1024];
      Arrays.fill(piece, fill);
      try (OutputStream out = Files.newOutputStream(target)) {
        for (int i = 0; i < 48; i++) {
          out.write(piece);
          out.flush();
          sleep(2); // a real build takes minutes: give other workers time to look at the cache meanwhile
        }
      }
    }

    private static void sleep(long millis) throws IOException {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }

    static long size() {
      return 48L * 64 * 1024;
    }
  }

  @Test
  void manyWorkersAskingAtOnceBuildOnceAndAllGetTheWholeEngine() throws Exception {
    SlowBuilder builder = new SlowBuilder(7);
    // Two caches on one folder stand for two worker processes on one machine, four threads each.
    List<EngineCache> caches = List.of(new EngineCache(dir, Optional.empty()), new EngineCache(dir, Optional.empty()));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<EngineCache.Entry>> results = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      EngineCache cache = caches.get(i % 2);
      results.add(pool.submit(() -> {
        start.await();
        return cache.get(KEY, builder);
      }));
    }
    start.countDown();
    List<EngineCache.Source> sources = new ArrayList<>();
    for (Future<EngineCache.Entry> result : results) {
      EngineCache.Entry entry = result.get(60, TimeUnit.SECONDS);
      assertThat(Files.size(entry.file())).isEqualTo(SlowBuilder.size());
      sources.add(entry.source());
    }
    pool.shutdown();

    assertThat(builder.builds).hasValue(1);
    assertThat(sources).containsOnlyOnce(EngineCache.Source.BUILT).containsOnly(EngineCache.Source.BUILT,
        EngineCache.Source.LOCAL);
    assertThat(leftovers()).isEmpty();
    String sidecar = Files.readString(dir.resolve(KEY.fileName() + ".sha256"), StandardCharsets.UTF_8);
    assertThat(sidecar).isEqualTo(EngineCache.sha256(dir.resolve(KEY.fileName())) + "  " + KEY.fileName() + "\n");
  }

  @Test
  void anEngineThatNoLongerMatchesItsSidecarIsBuiltAgain() throws Exception {
    EngineCache cache = new EngineCache(dir, Optional.empty());
    Path engine = cache.get(KEY, new SlowBuilder(7)).file();
    byte[] bytes = Files.readAllBytes(engine);
    bytes[1000] ^= 1;
    Files.write(engine, bytes);

    SlowBuilder again = new SlowBuilder(9);
    EngineCache.Entry entry = cache.get(KEY, again);
    assertThat(entry.source()).isEqualTo(EngineCache.Source.BUILT);
    assertThat(again.builds).hasValue(1);
    assertThat(Files.readAllBytes(entry.file())[1000]).isEqualTo((byte) 9);
    assertThat(cache.get(KEY, again).source()).isEqualTo(EngineCache.Source.LOCAL);
  }

  @Test
  void anEngineWithoutItsSidecarIsNotTrusted() throws Exception {
    EngineCache cache = new EngineCache(dir, Optional.empty());
    // What a crash between writing the engine and its sidecar leaves.
    Files.write(dir.resolve(KEY.fileName()), new byte[] {1, 2, 3});
    assertThat(cache.get(KEY, new SlowBuilder(7)).source()).isEqualTo(EngineCache.Source.BUILT);
  }

  @Test
  void aFailedBuildLeavesNothingBehindAndTheNextOneRuns() throws Exception {
    EngineCache cache = new EngineCache(dir, Optional.empty());
    assertThatThrownBy(() -> cache.get(KEY, target -> {
      Files.write(target, new byte[] {1, 2});
      throw new IOException("out of GPU memory");
    })).hasMessage("out of GPU memory");
    assertThat(Files.exists(dir.resolve(KEY.fileName()))).isFalse();
    assertThat(leftovers()).isEmpty();
    assertThat(cache.get(KEY, new SlowBuilder(7)).source()).isEqualTo(EngineCache.Source.BUILT);
  }

  private List<Path> leftovers() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().contains(".tmp-")).toList();
    }
  }
}
