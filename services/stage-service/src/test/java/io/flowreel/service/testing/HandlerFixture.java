package io.flowreel.service.testing;

import io.flowreel.infra.DataDirs;
import io.flowreel.infra.S3Server;
import io.flowreel.pack.ModelPack;
import io.flowreel.runtime.ArtifactStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the stage services' handler tests share: a real S3 server with both buckets and the real
 * tiny pack. A JUnit extension, one per test class:
 * {@code @RegisterExtension static final HandlerFixture FIXTURE = new HandlerFixture();} starts the
 * server before the class's tests and stops it after. Tasks: {@link TestTasks}.
 */
public final class HandlerFixture implements BeforeAllCallback, AfterAllCallback {

  private Path dir;
  private S3Server s3;
  private ArtifactStore store;

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    dir = Files.createTempDirectory("flowreel-handler-test");
    s3 = S3Server.start(dir.resolve("s3"));
    store = new ArtifactStore(s3.endpoint(), s3.accessKey(), s3.secretKey());
    store.ensureBucket(FakeStageContext.WORK);
    store.ensureBucket(FakeStageContext.OUTPUT);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    store.close();
    s3.close();
    DataDirs.delete(dir);
  }

  /** The repository's {@code models/tiny} (the build passes the checkout as {@code flowreel.repo}). */
  public static ModelPack tinyPack() {
    return ModelPack.load(Path.of(System.getProperty("flowreel.repo", "../..")).resolve("models/tiny"));
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
}
