package io.flowreel.infra;

import io.flowreel.infra.TopicCatalog.Topic;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the catalog's missing topics. Existing topics are never altered: changing partitions moves keys to
 * other partitions and changing cleanup policy can delete data, so a difference is reported for a person to
 * decide. Safe to run from several processes at once.
 */
public final class TopicSetup {

  private static final long TIMEOUT_S = 30;

  private TopicSetup() {}

  /**
   * What {@link #apply} found. {@code mismatches} are readable sentences, one per difference between a topic on
   * the broker and its declaration.
   */
  public record Result(List<String> created, List<String> existing, List<String> mismatches) {

    /** Fails listing every mismatch, for callers that must not run on a topic set-up that differs. */
    public Result requireNoMismatch() {
      if (!mismatches.isEmpty()) {
        throw new IllegalStateException("existing topics differ from the catalog:\n  " + String.join("\n  ", mismatches));
      }
      return this;
    }
  }

  public static Result apply(String bootstrapServers, TopicCatalog catalog) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      return apply(admin, catalog);
    }
  }

  public static Result apply(Admin admin, TopicCatalog catalog) {
    Set<String> onBroker = get(admin.listTopics().names(), "list topics");
    List<String> created = new ArrayList<>();
    List<String> existing = new ArrayList<>();
    List<NewTopic> missing = catalog.topics().stream().filter(t -> !onBroker.contains(t.name()))
        .map(t -> new NewTopic(t.name(), Optional.of(t.partitions()), Optional.empty()).configs(t.topicConfigs()))
        .toList();
    if (!missing.isEmpty()) {
      CreateTopicsResult result = admin.createTopics(missing);
      for (NewTopic t : missing) {
        try {
          result.values().get(t.name()).get(TIMEOUT_S, TimeUnit.SECONDS);
          created.add(t.name());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + t.name() + ": " + e.getCause().getMessage(), e);
          }
          // Another process created it since we listed: check it like any existing topic.
        } catch (TimeoutException e) {
          throw new IllegalStateException("creating topic " + t.name() + " took more than " + TIMEOUT_S + " s", e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while creating topics", e);
        }
      }
    }
    catalog.names().stream().filter(n -> !created.contains(n)).forEach(existing::add);
    return new Result(created, existing, mismatches(admin, catalog, existing));
  }

  private static List<String> mismatches(Admin admin, TopicCatalog catalog, List<String> names) {
    List<String> mismatches = new ArrayList<>();
    if (names.isEmpty()) {
      return mismatches;
    }
    Map<String, TopicDescription> descriptions = get(admin.describeTopics(names).allTopicNames(), "describe topics");
    List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
    Map<ConfigResource, Config> configs = get(admin.describeConfigs(resources).all(), "describe topic configs");
    for (String name : names) {
      Topic declared = catalog.topic(name);
      int partitions = descriptions.get(name).partitions().size();
      if (partitions != declared.partitions()) {
        mismatches.add(name + " has " + partitions + " partitions, the catalog declares " + declared.partitions()
            + " (partitions are never changed automatically: it would move keys to other partitions)");
      }
      String policy = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name)).get("cleanup.policy").value();
      if (!policy.equals(declared.cleanupPolicy().configValue())) {
        mismatches.add(name + " has cleanup.policy=" + policy + ", the catalog declares "
            + declared.cleanupPolicy().configValue());
      }
    }
    return mismatches;
  }

  private static <T> T get(KafkaFuture<T> future, String what) {
    try {
      return future.get(TIMEOUT_S, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("cannot " + what + ": no answer within " + TIMEOUT_S + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while trying to " + what, e);
    }
  }
}
