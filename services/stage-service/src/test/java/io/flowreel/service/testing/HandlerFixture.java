package io.flowreel.service.testing;

import io.flowreel.infra.S3Server;
import io.flowreel.pack.ModelPack;
import io.flowreel.runtime.ArtifactStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.IntPredicate;

/**
 * What the stage services' handler tests share: a real S3 server with both buckets and the real
 * tiny pack. One per test class ({@code @BeforeAll}), closed after. Tasks: {@link TestTasks}.
 */
public final class HandlerFixture implements AutoCloseable {

  private final S3Server s3;
  private final ArtifactStore store;

  private HandlerFixture(S3Server s3, ArtifactStore store) {
    this.s3 = s3;
    this.store = store;
  }

  /** The repository's {@code models/tiny} (the build passes the checkout as {@code flowreel.repo}). */
  public static ModelPack tinyPack() {
    return ModelPack.load(Path.of(System.getProperty("flowreel.repo", "../..")).resolve("models/tiny"));
  }

  /** An S3 server under {@code dir} with {@link FakeStageContext#WORK} and {@link FakeStageContext#OUTPUT}. */
  public static HandlerFixture start(Path dir) throws IOException {
    S3Server s3 = S3Server.start(dir.resolve("s3"));
    ArtifactStore store = new ArtifactStore(s3.endpoint(), s3.accessKey(), s3.secretKey());
    store.ensureBucket(FakeStageContext.WORK);
    store.ensureBucket(FakeStageContext.OUTPUT);
    return new HandlerFixture(s3, store);
  }

  public ArtifactStore store() {
    return store;
  }

  public FakeStageContext context() {
    return new FakeStageContext(store);
  }

  /** {@code stopAfterStep}: given the last reported step, whether a stop has been requested. */
  public FakeStageContext context(IntPredicate stopAfterStep) {
    return new FakeStageContext(store, stopAfterStep);
  }

  /** An object of the output bucket, which must exist. */
  public byte[] output(String key) throws IOException {
    return store.find(FakeStageContext.OUTPUT, key).orElseThrow();
  }

  @Override
  public void close() throws Exception {
    store.close();
    s3.close();
  }
}
