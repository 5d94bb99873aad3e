package io.flowreel.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class S3ServerTest {

  private static final byte[] CONTENT = "{\"job\":\"a-red-ball-s0\"}".getBytes(StandardCharsets.UTF_8);

  @Test
  void storesListsAndServesObjectsAndKeepsThemAcrossARestart() throws Exception {
    Path dir = TestDirs.fresh("s3-server-test");
    String endpoint;
    try (S3Server server = S3Server.start(dir)) {
      endpoint = server.endpoint();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("s3proxy.properties"))))
          .as("the file holding the S3 secret").isEqualTo("rw-------");
      assertThat(BucketSetup.ensure(endpoint, server.accessKey(), server.secretKey(), "artifacts", "renders"))
          .containsExactly("artifacts", "renders");
      assertThat(BucketSetup.ensure(endpoint, server.accessKey(), server.secretKey(), "artifacts", "renders"))
          .as("second run").isEmpty();

      try (MinioClient client = client(server)) {
        client.putObject(PutObjectArgs.builder().bucket("renders").object("jobs/a-red-ball-s0/manifest.json")
            .stream(new ByteArrayInputStream(CONTENT), CONTENT.length, -1).contentType("application/json")
            .userMetadata(Map.of("job", "a-red-ball-s0")).build());

        assertRendersBucketHoldsTheManifest(client);
      }
      long pid = server.pid();
      server.close();
      assertThat(TestDirs.gone(pid)).as("process %d is gone after close()", pid).isTrue();
    }

    long started = System.nanoTime();
    try (S3Server restarted = S3Server.start(dir); MinioClient client = client(restarted)) {
      System.out.printf("S3 server ready in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      assertThat(restarted.endpoint()).isEqualTo(endpoint);
      assertRendersBucketHoldsTheManifest(client);
    }
    assertThat(TestDirs.noChildAlive()).isTrue();
  }

  private static void assertRendersBucketHoldsTheManifest(MinioClient client) throws Exception {
    String key = "jobs/a-red-ball-s0/manifest.json";
    StatObjectResponse stat = client.statObject(StatObjectArgs.builder().bucket("renders").object(key).build());
    assertThat(stat.size()).isEqualTo(CONTENT.length);
    // Content type and user metadata live in extended attributes with the filesystem backend.
    assertThat(stat.contentType()).isEqualTo("application/json");
    assertThat(stat.userMetadata()).containsEntry("job", "a-red-ball-s0");
    try (InputStream in = client.getObject(GetObjectArgs.builder().bucket("renders").object(key).build())) {
      assertThat(in.readAllBytes()).isEqualTo(CONTENT);
    }
    List<String> keys = new ArrayList<>();
    for (Result<Item> item : client.listObjects(ListObjectsArgs.builder().bucket("renders").prefix("jobs/")
        .recursive(true).build())) {
      keys.add(item.get().objectName());
    }
    assertThat(keys).containsExactly(key);
  }

  private static MinioClient client(S3Server server) {
    return MinioClient.builder().endpoint(server.endpoint()).credentials(server.accessKey(), server.secretKey())
        .region("us-east-1").build();
  }
}
