package io.flowreel.messages.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;

/** The catalogue sees what is on disk, and the schemas follow the rules readers rely on. */
class SchemaCatalogueTest {

  private static final SchemaCatalogue CATALOGUE = SchemaCatalogue.fromClasspath();

  @Test
  void releasedFoldersAreNumberedFromOneWithoutGaps() throws IOException {
    List<Integer> versions = releasedFolders().stream()
        .map(folder -> Integer.parseInt(folder.getFileName().toString())).sorted().toList();
    assertThat(versions)
        .isEqualTo(IntStream.rangeClosed(1, versions.size()).boxed().toList())
        .isEqualTo(List.copyOf(CATALOGUE.released().keySet()));
  }

  @Test
  void eachReleasedIndexListsExactlyItsFolder() throws IOException {
    for (Path folder : releasedFolders()) {
      Set<String> indexed = Files.readAllLines(folder.resolve(SchemaCatalogue.INDEX)).stream()
          .map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#"))
          .collect(Collectors.toSet());
      assertThat(indexed).as("%s/%s", folder, SchemaCatalogue.INDEX)
          .isEqualTo(SourceSchemas.texts(folder).keySet());
    }
  }

  @Test
  void catalogueHoldsWhatTheReleasedFilesDefine() throws IOException {
    for (Path folder : releasedFolders()) {
      int version = Integer.parseInt(folder.getFileName().toString());
      assertThat(CATALOGUE.released().get(version))
          .isEqualTo(SourceSchemas.parse(SourceSchemas.texts(folder)));
    }
  }

  @Test
  void messageListReachesEveryCurrentSchema() {
    // A new top-level message must be added to SchemaCatalogue.MESSAGES, or readers miss it.
    assertThat(CATALOGUE.current().keySet())
        .isEqualTo(SourceSchemas.parse(SourceSchemas.texts(SourceSchemas.CURRENT)).keySet());
  }

  @Test
  void everyKnownVersionIsFoundByFingerprint() {
    Stream.concat(CATALOGUE.current().values().stream(),
            CATALOGUE.released().values().stream().flatMap(v -> v.values().stream()))
        .forEach(schema -> assertThat(CATALOGUE.find(SchemaNormalization.parsingFingerprint64(schema)))
            .as(schema.getFullName()).isPresent());
  }

  @Test
  void enumsStartWithUnknownAndDefaultToIt() {
    // The default is what lets an older reader read a symbol added later.
    CATALOGUE.current().values().stream().filter(s -> s.getType() == Schema.Type.ENUM)
        .forEach(e -> {
          assertThat(e.getEnumSymbols().get(0)).as(e.getFullName()).isEqualTo("UNKNOWN");
          assertThat(e.getEnumDefault()).as(e.getFullName()).isEqualTo("UNKNOWN");
        });
  }

  @Test
  void optionalFieldsPutNullFirstAndDefaultToIt() {
    // Otherwise an optional field cannot be added later without a non-null default.
    CATALOGUE.current().values().stream().filter(s -> s.getType() == Schema.Type.RECORD)
        .flatMap(r -> r.getFields().stream().map(f -> Map.entry(r.getName() + "." + f.name(), f)))
        .filter(e -> e.getValue().schema().getType() == Schema.Type.UNION)
        .forEach(e -> {
          assertThat(e.getValue().schema().getTypes().get(0).getType()).as(e.getKey())
              .isEqualTo(Schema.Type.NULL);
          assertThat(e.getValue().defaultVal()).as(e.getKey()).isEqualTo(JsonProperties.NULL_VALUE);
        });
  }

  @Test
  void everyTypeIsInTheMessagesNamespace() {
    assertThat(CATALOGUE.current().values()).extracting(Schema::getNamespace)
        .containsOnly("io.flowreel.messages");
  }

  private static List<Path> releasedFolders() throws IOException {
    try (Stream<Path> entries = Files.list(SourceSchemas.RELEASED)) {
      return entries.filter(Files::isDirectory).sorted().toList();
    }
  }
}
