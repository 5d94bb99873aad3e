package io.flowreel.messages.codec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParser;

/** The .avsc files of this module as the tests see them on disk (tests run in the module folder). */
final class SourceSchemas {

  static final Path CURRENT = Path.of("src/main/avro");
  static final Path RELEASED = Path.of("released");

  private SourceSchemas() {
  }

  /** File name to text, for every .avsc in a folder. */
  static Map<String, String> texts(Path folder) {
    try (Stream<Path> files = Files.list(folder)) {
      Map<String, String> texts = new TreeMap<>();
      for (Path file : files.filter(f -> f.toString().endsWith(".avsc")).toList()) {
        texts.put(file.getFileName().toString(), Files.readString(file));
      }
      return texts;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses a set of .avsc texts together, as the build does, into named types by full name. */
  static Map<String, Schema> parse(Map<String, String> texts) {
    SchemaParser parser = new SchemaParser();
    texts.values().forEach(parser::parse);
    return SchemaCatalogue.byName(parser.getParsedNamedSchemas());
  }
}
