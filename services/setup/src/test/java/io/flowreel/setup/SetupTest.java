package io.flowreel.setup;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.infra.KafkaBroker;
import io.flowreel.infra.S3Server;
import io.flowreel.infra.TopicCatalog;
import io.minio.BucketExistsArgs;
import io.minio.MinioClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compose file's set-up container, against a real broker and S3 server. */
class SetupTest {

  @TempDir Path dir;

  @Test
  void createsEveryTopicAndBothBucketsAndCanRunAgain() throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"));
         S3Server s3 = S3Server.start(dir.resolve("s3"))) {
      Map<String, String> env = Map.of(
          "FLOWREEL_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
          "FLOWREEL_S3_ENDPOINT", s3.endpoint(),
          "FLOWREEL_S3_ACCESS_KEY", s3.accessKey(),
          "FLOWREEL_S3_SECRET_KEY", s3.secretKey());
      ByteArrayOutputStream out = new ByteArrayOutputStream();

      assertThat(Setup.run(env, new PrintStream(out, true, StandardCharsets.UTF_8))).as(out.toString()).isZero();
      assertThat(Setup.run(env, new PrintStream(out, true, StandardCharsets.UTF_8))).as("again").isZero();

      try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
        Set<String> topics = admin.listTopics().names().get();
        TopicCatalog.standard().topics().forEach(t -> assertThat(topics).contains(t.name()));
      }
      MinioClient storage = MinioClient.builder().endpoint(s3.endpoint())
          .credentials(s3.accessKey(), s3.secretKey()).build();
      for (String bucket : new String[] {"flowreel-work", "flowreel-output"}) {
        assertThat(storage.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())).as(bucket).isTrue();
      }
      assertThat(out.toString()).contains("already there");
    }
  }

  @Test
  void aMissingSettingFailsWithItsName() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(Setup.run(Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8))).isEqualTo(1);
    assertThat(out.toString()).contains("FLOWREEL_KAFKA_BOOTSTRAP_SERVERS is not set");
  }
}
