package io.flowreel.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One real broker for the class, with the standard catalog applied once. */
class KafkaBrokerTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private static KafkaBroker broker;
  private static Admin admin;
  private static TopicSetup.Result firstApply;

  @BeforeAll
  static void startBroker() throws Exception {
    long started = System.nanoTime();
    broker = KafkaBroker.start(TestDirs.fresh("kafka-broker-test"));
    System.out.printf("broker ready in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
    firstApply = TopicSetup.apply(broker.bootstrapServers(), TopicCatalog.standard());
  }

  @AfterAll
  static void stopBroker() {
    if (admin != null) {
      admin.close();
    }
    if (broker != null) {
      long pid = broker.pid();
      broker.close();
      assertThat(TestDirs.gone(pid)).as("broker process %d is gone after close()", pid).isTrue();
      assertThat(TestDirs.noChildAlive()).isTrue();
    }
  }

  @Test
  void createsEveryCatalogTopicWithItsPartitionsAndConfigsAndIsIdempotent() throws Exception {
    TopicCatalog catalog = TopicCatalog.standard();
    assertThat(firstApply.created()).containsExactlyElementsOf(catalog.names());
    assertThat(firstApply.mismatches()).isEmpty();

    var descriptions = admin.describeTopics(catalog.names()).allTopicNames().get();
    var configs = admin.describeConfigs(catalog.names().stream()
        .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList()).all().get();
    for (TopicCatalog.Topic topic : catalog.topics()) {
      assertThat(descriptions.get(topic.name()).partitions()).as(topic.name()).hasSize(topic.partitions());
      Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()));
      topic.topicConfigs().forEach((key, value) ->
          assertThat(config.get(key).value()).as(topic.name() + " " + key).isEqualTo(value));
    }

    TopicSetup.Result again = TopicSetup.apply(broker.bootstrapServers(), catalog);
    assertThat(again.created()).isEmpty();
    assertThat(again.existing()).containsExactlyElementsOf(catalog.names());
    assertThat(again.mismatches()).isEmpty();
  }

  @Test
  void reportsATopicThatDiffersFromItsDeclaration() throws Exception {
    admin.createTopics(List.of(new NewTopic("test.mismatch", Optional.of(2), Optional.empty()))).all().get();
    TopicCatalog declared = TopicCatalog.parse(new ByteArrayInputStream(
        "topics: [{name: test.mismatch, partitions: 3, retentionMs: infinite, cleanupPolicy: compact}]"
            .getBytes(StandardCharsets.UTF_8)), "test.yaml");

    TopicSetup.Result result = TopicSetup.apply(admin, declared);

    assertThat(result.created()).isEmpty();
    assertThat(result.mismatches()).containsExactly(
        "test.mismatch has 2 partitions, the catalog declares 3 (partitions are never changed automatically: "
            + "it would move keys to other partitions)",
        "test.mismatch has cleanup.policy=delete, the catalog declares compact");
    assertThatThrownBy(result::requireNoMismatch).hasMessageContaining("test.mismatch has 2 partitions");
  }

  @Test
  void doesNotCreateTopicsOnFirstUse() throws Exception {
    ConfigResource node = new ConfigResource(ConfigResource.Type.BROKER, "1");
    Config config = admin.describeConfigs(List.of(node)).all().get().get(node);
    assertThat(config.get("auto.create.topics.enable").value()).isEqualTo("false");
  }

  @Test
  void consumerGroupReadsWhatAProducerWrote() throws Exception {
    try (KafkaProducer<String, String> producer = producer()) {
      producer.send(new ProducerRecord<>("flowreel.events", "job-1", "accepted")).get();
    }
    Properties props = consumerProperties();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-events");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of("flowreel.events"));
      List<ConsumerRecord<String, String>> received = new ArrayList<>();
      await().atMost(WAIT).pollInSameThread().until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(received::add);
        return !received.isEmpty();
      });
      assertThat(received).singleElement()
          .returns("job-1", ConsumerRecord::key).returns("accepted", ConsumerRecord::value);
    }
  }

  @Test
  void shareConsumerGetsARecordBackAfterReleasingItAndAcceptsIt() throws Exception {
    String group = "test-share";
    // Share groups start at the latest offset by default; this group must see a record written before it joined.
    ConfigResource groupConfig = new ConfigResource(ConfigResource.Type.GROUP, group);
    admin.incrementalAlterConfigs(Map.of(groupConfig, List.of(new AlterConfigOp(
        new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET)))).all().get();
    try (KafkaProducer<String, String> producer = producer()) {
      producer.send(new ProducerRecord<>("flowreel.tasks.encode", "job-2", "encode job-2")).get();
    }

    Properties props = consumerProperties();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put("share.acknowledgement.mode", "explicit");
    try (KafkaShareConsumer<String, String> consumer = new KafkaShareConsumer<>(props)) {
      consumer.subscribe(List.of("flowreel.tasks.encode"));

      ConsumerRecord<String, String> first = pollOne(consumer);
      assertThat(first.value()).isEqualTo("encode job-2");
      assertThat(first.deliveryCount()).contains((short) 1);
      consumer.acknowledge(first, AcknowledgeType.RELEASE); // as a worker that gives the task back would

      ConsumerRecord<String, String> again = pollOne(consumer);
      assertThat(again.offset()).isEqualTo(first.offset());
      assertThat(again.deliveryCount()).contains((short) 2);
      consumer.acknowledge(again, AcknowledgeType.ACCEPT);
      assertThat(consumer.commitSync().values()).allSatisfy(error -> assertThat(error).isEmpty());
    }
  }

  private static ConsumerRecord<String, String> pollOne(KafkaShareConsumer<String, String> consumer) {
    List<ConsumerRecord<String, String>> received = new ArrayList<>();
    await().atMost(WAIT).pollInSameThread().until(() -> {
      consumer.poll(Duration.ofMillis(200)).forEach(received::add);
      return !received.isEmpty();
    });
    assertThat(received).hasSize(1);
    return received.get(0);
  }

  private static KafkaProducer<String, String> producer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
  }

  private static Properties consumerProperties() {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    return props;
  }
}
