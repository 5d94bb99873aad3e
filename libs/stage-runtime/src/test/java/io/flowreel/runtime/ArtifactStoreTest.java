package io.flowreel.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowreel.infra.S3Server;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a real S3 server (S3Proxy in a child process), through the MinIO SDK. */
class ArtifactStoreTest {

  private static final String BUCKET = "flowreel-work";

  @TempDir static Path dir;
  private static S3Server s3;
  private static ArtifactStore store;

  @BeforeAll
  static void start() throws Exception {
    s3 = S3Server.start(dir.resolve("s3"));
    store = new ArtifactStore(s3.endpoint(), s3.accessKey(), s3.secretKey());
    store.ensureBucket(BUCKET);
    store.ensureBucket(BUCKET); // idempotent
  }

  @AfterAll
  static void stop() throws Exception {
    store.close();
    s3.close();
  }

  @Test
  void rewritingTheSameKeyWithTheSameBytesIsIdempotent() throws Exception {
    byte[] bytes = "{\"a\": 1}".getBytes(StandardCharsets.UTF_8);
    Artifact first = store.put(BUCKET, "jobs/j/attempt-1/publish/m.json", bytes, Artifact.Format.JSON, "publish", "m", null);
    Artifact second = store.put(BUCKET, "jobs/j/attempt-1/publish/m.json", bytes, Artifact.Format.JSON, "publish", "m", null);
    assertThat(second).isEqualTo(first);
    assertThat(store.get(first)).isEqualTo(bytes);
  }

  @Test
  void alteredObjectIsCorrupt() throws Exception {
    Artifact artifact = store.put(BUCKET, "jobs/j2/attempt-1/encode/text.json", "original".getBytes(StandardCharsets.UTF_8),
        Artifact.Format.JSON, "encode", "text", null);
    overwrite(artifact.key(), "tampered".getBytes(StandardCharsets.UTF_8)); // same length, other bytes
    assertThatThrownBy(() -> store.get(artifact))
        .isInstanceOf(CorruptArtifactException.class)
        .hasMessageContaining("artifact text of stage encode (s3://flowreel-work/jobs/j2/attempt-1/encode/text.json) has sha256");
    overwrite(artifact.key(), "short".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> store.get(artifact)).hasMessageContaining("has 5 bytes, expected 8");
  }

  @Test
  void missingObjectIsCorrupt() {
    Artifact ghost = new Artifact("decode", "frames", BUCKET, "jobs/none/attempt-1/decode/frames.safetensors",
        "0".repeat(64), 10, Artifact.Format.SAFETENSORS, null);
    assertThatThrownBy(() -> store.get(ghost)).isInstanceOf(CorruptArtifactException.class).hasMessageContaining("is missing");
  }

  @Test
  void keysRefuseUnsafeParts() {
    assertThatThrownBy(() -> ArtifactKeys.key("../etc", 1, "decode", "frames", Artifact.Format.SAFETENSORS))
        .hasMessageContaining("'../etc' cannot be part of an object key");
    assertThatThrownBy(() -> ArtifactKeys.key("job", 0, "decode", "frames", Artifact.Format.SAFETENSORS))
        .hasMessageContaining("attempt must be at least 1");
  }

  private static void overwrite(String key, byte[] bytes) throws Exception {
    try (MinioClient client = MinioClient.builder().endpoint(s3.endpoint()).credentials(s3.accessKey(), s3.secretKey())
        .region("us-east-1").build()) {
      client.putObject(PutObjectArgs.builder().bucket(BUCKET).object(key)
          .stream(new ByteArrayInputStream(bytes), bytes.length, -1).build());
    }
  }
}
