package io.flowreel.messages.codec;

import io.flowreel.messages.BatchFinished;
import io.flowreel.messages.BatchSubmission;
import io.flowreel.messages.ControlCommand;
import io.flowreel.messages.DeadLetter;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.SchedulerInput;
import io.flowreel.messages.StageEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.SchemaParser;
import org.apache.avro.message.SchemaStore;

/**
 * Every schema version a reader may meet, by fingerprint: the current generated classes plus each
 * released version under {@code schemas/released/<n>/}. This replaces a schema-registry server:
 * a reader resolves the writer's schema locally, so services can be upgraded one at a time.
 */
public final class SchemaCatalogue implements SchemaStore {

  /** The top-level messages; every other named type is reachable from them. */
  public static final List<Schema> MESSAGES = List.of(RenderTask.getClassSchema(),
      StageEvent.getClassSchema(), ControlCommand.getClassSchema(), DeadLetter.getClassSchema(),
      BatchSubmission.getClassSchema(), SchedulerInput.getClassSchema(), BatchFinished.getClassSchema());

  /** Where the build puts {@code schemas/released} inside the jar. */
  static final String RELEASED = "io/flowreel/messages/released/";

  /** Lists a version's .avsc files, since a jar cannot be listed portably. */
  static final String INDEX = "index.txt";

  private final Map<String, Schema> current;
  private final SortedMap<Integer, Map<String, Schema>> released;
  private final Map<Long, Schema> byFingerprint = new LinkedHashMap<>();

  SchemaCatalogue(Map<String, Schema> current, SortedMap<Integer, Map<String, Schema>> released) {
    this.current = Collections.unmodifiableMap(new LinkedHashMap<>(current));
    this.released = Collections.unmodifiableSortedMap(new TreeMap<>(released));
    // Identical versions share a fingerprint (defaults and docs are not part of it); the first
    // one registered is as good as any other for reading.
    current.values().forEach(this::register);
    released.values().forEach(version -> version.values().forEach(this::register));
  }

  private static final class Holder {
    static final SchemaCatalogue CLASSPATH = load(SchemaCatalogue.class.getClassLoader());
  }

  /** The catalogue of this jar, loaded once. */
  public static SchemaCatalogue fromClasspath() {
    return Holder.CLASSPATH;
  }

  /** Loads released versions 1, 2, ... from the class loader until one is missing. */
  public static SchemaCatalogue load(ClassLoader loader) {
    SortedMap<Integer, Map<String, Schema>> released = new TreeMap<>();
    for (int version = 1; ; version++) {
      String folder = RELEASED + version + "/";
      List<String> files = readIndex(loader, folder + INDEX);
      if (files == null) {
        break;
      }
      SchemaParser parser = new SchemaParser();
      for (String file : files) {
        try (InputStream in = loader.getResourceAsStream(folder + file)) {
          if (in == null) {
            throw new IllegalStateException(
                folder + INDEX + " lists " + file + ", which is missing");
          }
          parser.parse(in);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + folder + file, e);
        }
      }
      // Resolving after the last file lets one file name a type defined in another, in any order.
      released.put(version, byName(parser.getParsedNamedSchemas()));
    }
    return new SchemaCatalogue(namedTypes(MESSAGES), released);
  }

  /** The writer's schema for a fingerprint, if any known version has it. */
  public Optional<Schema> find(long fingerprint) {
    return Optional.ofNullable(byFingerprint.get(fingerprint));
  }

  /** {@link SchemaStore} contract for Avro's decoders: null when unknown. */
  @Override
  public Schema findByFingerprint(long fingerprint) {
    return byFingerprint.get(fingerprint);
  }

  /** Named types (records and enums) of the generated classes, by full name. */
  public Map<String, Schema> current() {
    return current;
  }

  /** Named types of each released version, by version then full name. */
  public SortedMap<Integer, Map<String, Schema>> released() {
    return released;
  }

  /** Every named type used by the given schemas (themselves included), by full name. */
  public static Map<String, Schema> namedTypes(List<Schema> roots) {
    Map<String, Schema> found = new LinkedHashMap<>();
    roots.forEach(root -> collect(root, found));
    return found;
  }

  static Map<String, Schema> byName(List<Schema> schemas) {
    return schemas.stream().collect(Collectors.toMap(Schema::getFullName, s -> s,
        (a, b) -> a, LinkedHashMap::new));
  }

  private static void collect(Schema schema, Map<String, Schema> found) {
    switch (schema.getType()) {
      case RECORD -> {
        if (found.putIfAbsent(schema.getFullName(), schema) == null) {
          schema.getFields().forEach(field -> collect(field.schema(), found));
        }
      }
      case ENUM, FIXED -> found.putIfAbsent(schema.getFullName(), schema);
      case ARRAY -> collect(schema.getElementType(), found);
      case MAP -> collect(schema.getValueType(), found);
      case UNION -> schema.getTypes().forEach(branch -> collect(branch, found));
      default -> { }
    }
  }

  private void register(Schema schema) {
    byFingerprint.putIfAbsent(SchemaNormalization.parsingFingerprint64(schema), schema);
  }

  private static List<String> readIndex(ClassLoader loader, String path) {
    try (InputStream in = loader.getResourceAsStream(path)) {
      if (in == null) {
        return null;
      }
      return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines()
          .map(String::strip)
          .filter(line -> !line.isEmpty() && !line.startsWith("#"))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }
}
