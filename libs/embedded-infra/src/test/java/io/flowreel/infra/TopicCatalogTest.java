package io.flowreel.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flowreel.contract.Stages;
import io.flowreel.contract.Topics;
import io.flowreel.infra.TopicCatalog.CleanupPolicy;
import io.flowreel.infra.TopicCatalog.Topic;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TopicCatalogTest {

  private static final long DAY_MS = Duration.ofDays(1).toMillis();

  @Test
  void packagedCatalogIsTheRepositorysFile() {
    assertThat(TopicCatalog.standard())
        .isEqualTo(TopicCatalog.load(FlowreelHome.locate().resolve("infra/topics.yaml")));
  }

  @Test
  void declaresEveryStagesTasksAndDeadLettersPlusUnreadableEventsBatchesControlScheduleAndFinishedBatches() {
    TopicCatalog catalog = TopicCatalog.standard();
    assertThat(catalog.topics()).hasSize(2 * Stages.PIPELINE.size() + 6);
    for (String stage : Stages.PIPELINE.stream().map(Stages::id).toList()) {
      assertThat(catalog.topic("flowreel.tasks." + stage))
          .returns(1, Topic::partitions).returns(Topic.INFINITE, Topic::retentionMs)
          .returns(CleanupPolicy.DELETE, Topic::cleanupPolicy);
      assertThat(catalog.topic("flowreel.dlq." + stage))
          .returns(1, Topic::partitions).returns(30 * DAY_MS, Topic::retentionMs)
          .returns(CleanupPolicy.DELETE, Topic::cleanupPolicy);
    }
    assertThat(catalog.topic("flowreel.dlq.unreadable"))
        .returns(1, Topic::partitions).returns(30 * DAY_MS, Topic::retentionMs)
        .returns(CleanupPolicy.DELETE, Topic::cleanupPolicy);
    assertThat(catalog.topic("flowreel.events"))
        .returns(6, Topic::partitions).returns(30 * DAY_MS, Topic::retentionMs)
        .returns(CleanupPolicy.DELETE, Topic::cleanupPolicy).returns("job id", Topic::key);
    assertThat(catalog.topic("flowreel.schedule"))
        .returns(6, Topic::partitions).returns(7 * DAY_MS, Topic::retentionMs)
        .returns(CleanupPolicy.DELETE, Topic::cleanupPolicy).returns("stage id", Topic::key);
    assertThat(catalog.topic("flowreel.batches.finished"))
        .returns(3, Topic::partitions).returns(7 * DAY_MS, Topic::retentionMs)
        .returns(CleanupPolicy.DELETE, Topic::cleanupPolicy).returns("batch id", Topic::key);
    assertThat(catalog.topic("flowreel.batches"))
        .returns(3, Topic::partitions).returns(Topic.INFINITE, Topic::retentionMs)
        .returns(CleanupPolicy.COMPACT, Topic::cleanupPolicy).returns("batch id", Topic::key);
    Topic control = catalog.topic("flowreel.control");
    assertThat(control).returns(3, Topic::partitions).returns(Topic.INFINITE, Topic::retentionMs)
        .returns(CleanupPolicy.COMPACT, Topic::cleanupPolicy);
    assertThat(control.topicConfigs()).containsEntry("cleanup.policy", "compact").containsEntry("retention.ms", "-1")
        .containsEntry("delete.retention.ms", "86400000");
  }

  @Test
  void theTypedRegistryNamesExactlyTheDeclaredTopicsInTheirOrder() {
    assertThat(Topics.all()).extracting(io.flowreel.contract.Topic::name)
        .containsExactlyElementsOf(TopicCatalog.standard().topics().stream().map(Topic::name).toList());
    for (io.flowreel.contract.Topic<?, ?> typed : Topics.all()) {
      assertThat(typed.key()).as(typed.name()).isEqualTo(TopicCatalog.standard().topic(typed.name()).key());
    }
  }

  @Test
  void refusesInvalidEntriesWithTheTopicAndTheReason() {
    assertRefused("topics: [{name: Flowreel.Tasks, partitions: 1, retentionMs: 1, cleanupPolicy: delete}]",
        "lowercase and dotted");
    assertRefused("topics: [{name: a.b, partitions: 0, retentionMs: 1, cleanupPolicy: delete}]",
        "topic a.b: partitions must be 1 or more");
    assertRefused("topics: [{name: a.b, partitions: 1, retentionMs: forever, cleanupPolicy: delete}]",
        "topic a.b: retentionMs must be a positive number of milliseconds or infinite, was forever");
    assertRefused("topics: [{name: a.b, partitions: 1, retentionMs: 1, cleanupPolicy: shred}]", "not a valid");
    assertRefused("topics: [{name: a.b, partitions: 1, retentionMs: 1}]", "cleanupPolicy is missing");
    assertRefused("topics: [{name: a.b, partitions: 1, retentionMs: 1, cleanupPolicy: delete, replicas: 3}]",
        "replicas");
    assertRefused("topics: [{name: a.b, partitions: 1, retentionMs: 1, cleanupPolicy: delete,"
        + " configs: {cleanup.policy: compact}}]", "set cleanup.policy with its own field");
    assertRefused("topics: [{name: a.b, partitions: 1, retentionMs: 1, cleanupPolicy: delete},"
        + " {name: a.b, partitions: 2, retentionMs: 1, cleanupPolicy: delete}]", "topic a.b: declared twice");
    assertRefused("topics: []", "declares no topics");
  }

  private static void assertRefused(String yaml, String reason) {
    assertThatThrownBy(() -> TopicCatalog.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)),
        "test.yaml"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("test.yaml").hasMessageContaining(reason);
  }
}
