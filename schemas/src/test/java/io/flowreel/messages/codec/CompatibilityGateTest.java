package io.flowreel.messages.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The build-time gate: the current schemas must be compatible both ways with every released
 * version, since the catalogue lets a reader meet a message from any of them (a dead letter
 * re-driven months later, a service not yet upgraded). The previous release is the last of them.
 */
class CompatibilityGateTest {

  private static final SchemaCatalogue CATALOGUE = SchemaCatalogue.fromClasspath();

  static Stream<Integer> releasedVersions() {
    return CATALOGUE.released().keySet().stream();
  }

  @ParameterizedTest(name = "current schemas against released/{0}")
  @MethodSource("releasedVersions")
  void currentSchemasAreCompatibleBothWaysWithEachRelease(int version) {
    List<String> problems =
        CompatibilityGate.problems(CATALOGUE.current(), CATALOGUE.released().get(version));
    assertThat(problems)
        .as("incompatible with schemas/released/%d; see docs/messages.md, 'Changing a schema'",
            version)
        .isEmpty();
  }

  @Test
  void thereIsAReleaseToCompareWith() {
    assertThat(CATALOGUE.released()).isNotEmpty();
  }

  // The gate must be able to fail: each change below, made to the latest release's own files
  // (so work in progress on the current schemas does not disturb these tests), breaks a reader.

  @Test
  void newFieldWithoutDefaultFails() {
    Map<String, Schema> changed = editLatest("RenderTask.avsc", "\"fields\": [",
        "\"fields\": [\n    {\"name\": \"lane\", \"type\": \"string\"},");
    // The old writer sent no lane: a new reader has nothing to fill it with. DeadLetter, which
    // holds a RenderTask, is reported too.
    assertThat(problemsAgainstLatest(changed)).containsExactly(
        "io.flowreel.messages.DeadLetter: the current schema cannot read what the released one"
            + " wrote: READER_FIELD_MISSING_DEFAULT_VALUE at /fields/0/type/fields/0 (lane)",
        "io.flowreel.messages.RenderTask: the current schema cannot read what the released one"
            + " wrote: READER_FIELD_MISSING_DEFAULT_VALUE at /fields/0 (lane)");
  }

  @Test
  void removedFieldWithoutDefaultFails() {
    Map<String, String> texts = latestTexts();
    String tenantLine = texts.get("JobSpec.avsc").lines()
        .filter(line -> line.contains("{\"name\": \"tenant\"")).findFirst().orElseThrow();
    edit(texts, "JobSpec.avsc", tenantLine + "\n", "");
    Map<String, Schema> changed = SourceSchemas.parse(texts);
    // Only the old reader breaks: it has no default for the tenant the new writer no longer sends.
    assertThat(problemsAgainstLatest(changed))
        .contains("io.flowreel.messages.JobSpec: the released schema cannot read what the current"
            + " one writes: READER_FIELD_MISSING_DEFAULT_VALUE at /fields/2 (tenant)")
        .allSatisfy(p -> assertThat(p).contains("the released schema cannot read")
            .endsWith("(tenant)"));
  }

  @Test
  void removedEnumSymbolWithoutDefaultFails() {
    Map<String, Schema> changed = editLatest("Stage.avsc",
        ", \"PUBLISH\"],\n  \"default\": \"UNKNOWN\"", "]");
    // Messages already written with PUBLISH could not be read; every type holding a Stage says so.
    assertThat(problemsAgainstLatest(changed))
        .contains("io.flowreel.messages.Stage: the current schema cannot read what the released one"
            + " wrote: MISSING_ENUM_SYMBOLS at /symbols ([PUBLISH])")
        .allSatisfy(p -> assertThat(p).contains("the current schema cannot read")
            .contains("MISSING_ENUM_SYMBOLS").endsWith("([PUBLISH])"));
  }

  @Test
  void changedTypeFailsBothWays() {
    Map<String, Schema> changed = editLatest("JobSpec.avsc",
        "{\"name\": \"seed\", \"type\": \"long\"", "{\"name\": \"seed\", \"type\": \"string\"");
    assertThat(problemsAgainstLatest(changed))
        .contains("io.flowreel.messages.JobSpec: the current schema cannot read what the released"
            + " one wrote: TYPE_MISMATCH at /fields/5/type (reader type: STRING not compatible"
            + " with writer type: LONG)")
        .contains("io.flowreel.messages.JobSpec: the released schema cannot read what the current"
            + " one writes: TYPE_MISMATCH at /fields/5/type (reader type: LONG not compatible"
            + " with writer type: STRING)")
        .allSatisfy(p -> assertThat(p).contains("TYPE_MISMATCH"));
  }

  @Test
  void removedTypeFails() {
    Map<String, String> texts = latestTexts();
    texts.remove("ControlCommand.avsc");
    assertThat(problemsAgainstLatest(SourceSchemas.parse(texts)))
        .containsExactlyInAnyOrder(
            "io.flowreel.messages.ControlCommand was released and is missing now: readers of"
                + " stored and in-flight messages still need it",
            "io.flowreel.messages.ControlTargetKind was released and is missing now: readers of"
                + " stored and in-flight messages still need it",
            "io.flowreel.messages.ControlAction was released and is missing now: readers of"
                + " stored and in-flight messages still need it");
  }

  @Test
  void theAllowedChangesPass() {
    // A new optional field, a new field with a default and a new enum symbol: the evolution
    // docs/messages.md describes.
    Map<String, String> texts = latestTexts();
    edit(texts, "RenderTask.avsc", "\"fields\": [", "\"fields\": [\n"
        + "    {\"name\": \"lane\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
        + "    {\"name\": \"maxRetries\", \"type\": \"int\", \"default\": 5},");
    edit(texts, "Stage.avsc", "\"PUBLISH\"]", "\"PUBLISH\", \"INTERPOLATE\"]");
    assertThat(problemsAgainstLatest(SourceSchemas.parse(texts))).isEmpty();
  }

  private static List<String> problemsAgainstLatest(Map<String, Schema> current) {
    return CompatibilityGate.problems(current,
        CATALOGUE.released().get(CATALOGUE.released().lastKey()));
  }

  private static Map<String, String> latestTexts() {
    return SourceSchemas.texts(
        SourceSchemas.RELEASED.resolve(String.valueOf(CATALOGUE.released().lastKey())));
  }

  private static Map<String, Schema> editLatest(String file, String from, String to) {
    Map<String, String> texts = latestTexts();
    edit(texts, file, from, to);
    return SourceSchemas.parse(texts);
  }

  private static void edit(Map<String, String> texts, String file, String from, String to) {
    assertThat(texts.get(file)).as("text to edit in %s", file).contains(from);
    texts.put(file, texts.get(file).replace(from, to));
  }
}
