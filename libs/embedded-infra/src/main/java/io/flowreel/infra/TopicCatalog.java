package io.flowreel.infra;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Every Kafka topic Flowreel uses, as declared in infra/topics.yaml (the one source; the build also packages it
 * as a resource, so {@link #standard()} works without a checkout).
 */
public record TopicCatalog(List<Topic> topics) {

  private static final Pattern NAME = Pattern.compile("[a-z0-9]+(\\.[a-z0-9-]+)+");
  private static final Set<String> DECLARED_BY_FIELDS = Set.of("cleanup.policy", "retention.ms");

  public TopicCatalog {
    topics = List.copyOf(topics);
  }

  /** How a topic frees space: by age ({@code delete}) or by keeping the latest record per key ({@code compact}). */
  public enum CleanupPolicy {
    @JsonProperty("delete") DELETE,
    @JsonProperty("compact") COMPACT;

    /** The value of the topic config {@code cleanup.policy}. */
    public String configValue() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * One topic. {@code retentionMs} is {@link #INFINITE} for topics kept for ever; {@code key} documents what the
   * records are keyed by; {@code configs} holds any further topic configs.
   */
  public record Topic(String name, int partitions, long retentionMs, CleanupPolicy cleanupPolicy, String key,
      Map<String, String> configs) {

    public static final long INFINITE = -1;

    public Topic {
      configs = configs == null ? Map.of() : Map.copyOf(configs);
    }

    /** All the configs a new topic is created with. */
    public Map<String, String> topicConfigs() {
      Map<String, String> all = new LinkedHashMap<>();
      all.put("cleanup.policy", cleanupPolicy.configValue());
      all.put("retention.ms", Long.toString(retentionMs));
      all.putAll(configs);
      return all;
    }
  }

  /** The catalog packaged with this library (a copy of infra/topics.yaml). */
  public static TopicCatalog standard() {
    try (InputStream in = TopicCatalog.class.getResourceAsStream("topics.yaml")) {
      if (in == null) {
        throw new IllegalStateException("topics.yaml is not on the classpath next to " + TopicCatalog.class.getName()
            + "; the build copies it from infra/topics.yaml");
      }
      return parse(in, "classpath:io/flowreel/infra/topics.yaml");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static TopicCatalog load(Path yaml) {
    try (InputStream in = Files.newInputStream(yaml)) {
      return parse(in, yaml.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the topic catalog " + yaml, e);
    }
  }

  public Topic topic(String name) {
    return topics.stream().filter(t -> t.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no topic " + name + " in the catalog"));
  }

  public List<String> names() {
    return topics.stream().map(Topic::name).toList();
  }

  // The file's shape; Topic is what the rest of the code sees.
  private record CatalogFile(List<Entry> topics) {}

  private record Entry(String name, Integer partitions, String retentionMs, CleanupPolicy cleanupPolicy, String key,
      Map<String, String> configs) {}

  static TopicCatalog parse(InputStream yaml, String source) {
    CatalogFile file;
    try {
      file = new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .readValue(yaml, CatalogFile.class);
    } catch (IOException e) {
      throw new IllegalArgumentException(source + " is not a valid topic catalog: " + e.getMessage(), e);
    }
    if (file == null || file.topics() == null || file.topics().isEmpty()) {
      throw new IllegalArgumentException(source + " declares no topics");
    }
    List<Topic> topics = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Entry e : file.topics()) {
      String where = source + ", topic " + (e.name() == null ? "#" + (topics.size() + 1) : e.name()) + ": ";
      if (e.name() == null || !NAME.matcher(e.name()).matches()) {
        throw new IllegalArgumentException(where + "the name must be lowercase and dotted, like flowreel.tasks.encode");
      }
      if (!seen.add(e.name())) {
        throw new IllegalArgumentException(where + "declared twice");
      }
      if (e.partitions() == null || e.partitions() < 1) {
        throw new IllegalArgumentException(where + "partitions must be 1 or more, was " + e.partitions());
      }
      if (e.cleanupPolicy() == null) {
        throw new IllegalArgumentException(where + "cleanupPolicy is missing (delete or compact)");
      }
      Map<String, String> configs = e.configs() == null ? Map.of() : e.configs();
      for (String k : configs.keySet()) {
        if (DECLARED_BY_FIELDS.contains(k)) {
          throw new IllegalArgumentException(where + "set " + k + " with its own field, not under configs");
        }
      }
      topics.add(new Topic(e.name(), e.partitions(), retention(where, e.retentionMs()), e.cleanupPolicy(), e.key(),
          configs));
    }
    return new TopicCatalog(topics);
  }

  private static long retention(String where, String value) {
    if ("infinite".equals(value)) {
      return Topic.INFINITE;
    }
    try {
      long ms = Long.parseLong(value == null ? "" : value);
      if (ms > 0) {
        return ms;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(where + "retentionMs must be a positive number of milliseconds or infinite, was "
        + value);
  }
}
