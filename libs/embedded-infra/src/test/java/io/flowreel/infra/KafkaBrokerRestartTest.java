package io.flowreel.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class KafkaBrokerRestartTest {

  @Test
  void restartsOnTheSameDataDirWithItsTopicsAndRecordsAfterCloseAndAfterKill() throws Exception {
    Path dir = TestDirs.fresh("kafka-broker-restart-test");
    String bootstrap;
    try (KafkaBroker broker = KafkaBroker.start(dir)) {
      bootstrap = broker.bootstrapServers();
      try (Admin admin = admin(bootstrap)) {
        admin.createTopics(List.of(new NewTopic("test.kept", Optional.of(1), Optional.empty()))).all().get();
      }
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
          new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>("test.kept", "k", "before restart")).get();
      }
      long pid = broker.pid();
      broker.close();
      assertThat(TestDirs.gone(pid)).as("process %d is gone after close()", pid).isTrue();
    }
    String clusterId = Files.readString(dir.resolve("kraft/meta.properties"));

    KafkaBroker restarted = KafkaBroker.start(dir);
    try {
      assertThat(restarted.bootstrapServers()).isEqualTo(bootstrap);
      assertThat(Files.readString(dir.resolve("kraft/meta.properties"))).as("not formatted again").isEqualTo(clusterId);
      assertThat(readAll(bootstrap)).containsExactly("before restart");
    } finally {
      long pid = restarted.pid();
      restarted.kill();
      assertThat(TestDirs.gone(pid)).as("process %d is gone after kill()", pid).isTrue();
      restarted.close(); // harmless after kill
    }

    try (KafkaBroker afterCrash = KafkaBroker.start(dir)) {
      assertThat(readAll(afterCrash.bootstrapServers())).containsExactly("before restart");
    }
    assertThat(TestDirs.noChildAlive()).isTrue();
  }

  private static List<String> readAll(String bootstrap) {
    TopicPartition partition = new TopicPartition("test.kept", 0);
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringDeserializer(), new StringDeserializer())) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      List<String> values = new ArrayList<>();
      await().atMost(Duration.ofSeconds(30)).pollInSameThread().until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
        return !values.isEmpty();
      });
      return values;
    }
  }

  private static Admin admin(String bootstrap) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }
}
