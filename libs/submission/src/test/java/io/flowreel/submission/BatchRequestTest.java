package io.flowreel.submission;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.groups.Tuple.tuple;

import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BatchRequestTest {

  private static final String JSON = "application/json";
  private static final String NDJSON = "application/x-ndjson";

  @Test
  void objectWithDefaultsAndJobsReadsEveryField() {
    BatchRequest request = parse(JSON, """
        {"defaults": {"width": 128, "pack": "tiny", "rewrite": false},
         "jobs": [
           {"prompt": "a red ball", "negativePrompt": "blur", "seed": 9000000000, "width": 64, "height": 96,
            "frames": 9, "fps": 12, "steps": 4, "guidance": 2.5, "shift": 1, "pack": "other", "priority": 3,
            "rewrite": true, "upsample": false},
           {"prompt": "a blue box"}
         ]}
        """);
    assertThat(request.defaults()).isEqualTo(new JobRequest(null, null, null, 128, null, null, null, null, null,
        null, "tiny", null, false, null, null));
    assertThat(request.jobs()).containsExactly(
        new JobRequest("a red ball", "blur", 9_000_000_000L, 64, 96, 9, 12, 4, 2.5, 1.0, "other", 3, true, false, null),
        new JobRequest("a blue box", null, null, null, null, null, null, null, null, null, null, null, null, null, null));
  }

  @Test
  void bareArrayIsAListOfJobsWithoutDefaults() {
    BatchRequest request = parse(JSON, "[{\"prompt\": \"a\"}, {\"prompt\": \"b\", \"seed\": 1}]");
    assertThat(request.defaults()).isEqualTo(JobRequest.EMPTY);
    assertThat(request.jobs()).extracting(JobRequest::prompt).containsExactly("a", "b");
  }

  @Test
  void missingContentTypeIsJson() {
    assertThat(BatchRequest.parse("[{\"prompt\": \"a\"}]".getBytes(UTF_8), null).jobs()).hasSize(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"application/x-ndjson", "application/jsonl", "application/x-jsonlines",
      "Application/X-NDJSON; charset=utf-8"})
  void jsonLinesTakeAnOptionalDefaultsLineAndSkipBlankLines(String contentType) {
    BatchRequest request = parse(contentType,
        "{\"defaults\": {\"fps\": 24}}\r\n{\"prompt\": \"a\"}\n\n   \n{\"prompt\": \"b\", \"fps\": 12}\n");
    assertThat(request.defaults().fps()).isEqualTo(24);
    assertThat(request.jobs()).extracting(JobRequest::prompt, JobRequest::fps)
        .containsExactly(tuple("a", null), tuple("b", 12));
  }

  @Test
  void jsonLinesWithoutDefaultsAreAllJobs() {
    BatchRequest request = parse(NDJSON, "{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}");
    assertThat(request.defaults()).isEqualTo(JobRequest.EMPTY);
    assertThat(request.jobs()).hasSize(2);
  }

  @Test
  void unknownFieldIsNamedWithTheAllowedOnes() {
    assertRefused(() -> parse(JSON, "[{\"prompt\": \"a\"}, {\"prompt\": \"b\", \"widht\": 64}]"),
        "jobs[1]: unknown field 'widht'; allowed: prompt, negativePrompt, seed, width, height, frames, fps, "
            + "steps, guidance, shift, pack, priority, rewrite, upsample, callbackUrl");
  }

  @Test
  void aBatchMayNameWhereItsWebhooksGoInEitherForm() {
    assertThat(parse(JSON, "{\"callbackUrl\": \"https://hooks.example/a\", \"jobs\": [{\"prompt\": \"a\"}]}")
        .callbackUrl()).isEqualTo("https://hooks.example/a");
    assertThat(parse("application/jsonl", "{\"defaults\": {}, \"callbackUrl\": \"https://hooks.example/b\"}\n"
        + "{\"prompt\": \"a\"}").callbackUrl()).isEqualTo("https://hooks.example/b");
    assertThat(parse(JSON, "[{\"prompt\": \"a\"}]").callbackUrl()).isNull();
    BatchRequest own = parse(JSON, "{\"defaults\": {\"callbackUrl\": \"https://hooks.example/batch\"}, \"jobs\": ["
        + "{\"prompt\": \"a\"}, {\"prompt\": \"b\", \"callbackUrl\": \"https://hooks.example/b\"}]}");
    assertThat(own.callbackUrl()).as("the defaults' is the batch's").isEqualTo("https://hooks.example/batch");
    assertThat(own.jobs().get(0).withDefaults(own.defaults()).callbackUrl()).as("not inherited").isNull();
    assertThat(own.jobs().get(1).callbackUrl()).isEqualTo("https://hooks.example/b");
    assertRefused(() -> parse(JSON, "{\"callbackUrl\": 7, \"jobs\": [{\"prompt\": \"a\"}]}"),
        "request: 'callbackUrl' must be a URL string, got 7");
  }

  @Test
  void unknownFieldsOfTheRequestAndItsDefaultsAreNamed() {
    assertRefused(() -> parse(JSON, "{\"defaults\": {\"size\": 3}, \"job\": [], \"jobs\": [{\"prompt\": \"a\"}]}"),
        "request: unknown field 'job'; allowed: defaults, jobs, callbackUrl",
        "defaults: unknown field 'size'; allowed: prompt, negativePrompt, seed, width, height, frames, fps, "
            + "steps, guidance, shift, pack, priority, rewrite, upsample, callbackUrl");
  }

  @Test
  void wrongTypesAreNamedWithFieldAndExpectedType() {
    InvalidBatchException refused = assertRefused(() -> parse(JSON, """
        {"defaults": {"rewrite": "yes"},
         "jobs": [{"prompt": "a"}, {"prompt": 5}, {"prompt": "c", "width": "wide", "seed": 1.5, "guidance": "high",
                  "frames": 99999999999}]}
        """),
        "defaults.rewrite: expected true or false, got \"yes\"",
        "jobs[1].prompt: expected a string, got 5",
        "jobs[2].seed: expected a whole number, got 1.5",
        "jobs[2].width: expected a whole number, got \"wide\"",
        "jobs[2].frames: expected a whole number, got 99999999999",
        "jobs[2].guidance: expected a number, got \"high\"");
    assertThat(refused.problems().get(3).job()).hasValue(2);
    assertThat(refused.problems().get(0).job()).isEmpty();
  }

  @Test
  void aJobThatIsNotAnObjectIsNamed() {
    assertRefused(() -> parse(JSON, "[{\"prompt\": \"a\"}, \"a blue box\"]"),
        "jobs[1]: expected a job object, got \"a blue box\"");
  }

  @Test
  void wrongTypeInJsonLinesNamesTheLine() {
    assertRefused(() -> parse(NDJSON, "{\"defaults\": {\"fps\": \"fast\"}}\n{\"prompt\": \"a\"}\n\n{\"width\": true}"),
        "defaults.fps (line 1): expected a whole number, got \"fast\"",
        "jobs[1].width (line 4): expected a whole number, got true");
  }

  @Test
  void malformedJsonNamesLineAndColumn() {
    InvalidBatchException refused = assertThrows(() -> parse(JSON, "{\"jobs\": [\n  {\"prompt\": \"a\"},\n  {\"prompt\" \"b\"}\n]}"));
    assertThat(refused.problems()).singleElement().asString().startsWith("malformed JSON at line 3, column 13: ");
  }

  @Test
  void malformedJsonLinesNameEachLine() {
    InvalidBatchException refused =
        assertThrows(() -> parse(NDJSON, "{\"prompt\": \"a\"}\n{\"prompt\": \"b\"\n{\"prompt\": \"c\"}\n{prompt: 1}"));
    assertThat(refused.problems()).hasSize(2);
    assertThat(refused.problems().get(0).message()).startsWith("line 2: malformed JSON at column 15: ")
        .doesNotContain("start marker");
    assertThat(refused.problems().get(1).message()).startsWith("line 4: malformed JSON at column 2: ");
  }

  @Test
  void aRepeatedFieldOrTrailingTextIsMalformed() {
    assertThat(assertThrows(() -> parse(JSON, "[{\"prompt\": \"a\", \"width\": 64, \"width\": 128}]")).getMessage())
        .contains("malformed JSON at line 1, column").contains("Duplicate field 'width'");
    assertThat(assertThrows(() -> parse(JSON, "[{\"prompt\": \"a\"}] [{\"prompt\": \"b\"}]")).getMessage())
        .startsWith("malformed JSON at line 1, column");
  }

  @Test
  void aLaterDefaultsLineIsAnUnknownField() {
    assertThat(assertThrows(() -> parse(NDJSON, "{\"prompt\": \"a\"}\n{\"defaults\": {}}")).getMessage())
        .startsWith("jobs[1] (line 2): unknown field 'defaults'");
  }

  @Test
  void anEmptyBatchIsRefused() {
    assertRefused(() -> parse(JSON, "{\"jobs\": []}"), "the batch has no jobs");
    assertRefused(() -> parse(JSON, "[]"), "the batch has no jobs");
    assertRefused(() -> parse(JSON, "  "), "request body is empty");
    assertRefused(() -> parse(NDJSON, "{\"defaults\": {\"fps\": 8}}\n\n"), "the batch has no jobs");
    assertRefused(() -> parse(JSON, "{\"defaults\": {}}"), "request: expected 'jobs', an array of job objects");
  }

  @Test
  void tooManyJobsAreRefusedWithTheCountAndTheLimit() {
    String four = "[{\"prompt\": \"a\"}, {\"prompt\": \"b\"}, {\"prompt\": \"c\"}, {\"prompt\": \"d\"}]";
    assertRefused(() -> BatchRequest.parse(four.getBytes(UTF_8), JSON, 3),
        "the batch has 4 jobs, at most 3 are allowed");
    assertThat(BatchRequest.parse(four.getBytes(UTF_8), JSON, 4).jobs()).hasSize(4);
    assertRefused(() -> BatchRequest.parse("{}\n{}\n{}\n".getBytes(UTF_8), NDJSON, 2),
        "the batch has 3 jobs, at most 2 are allowed");
  }

  @Test
  void theGatewayLimitIsTenThousand() {
    String body = "{\"prompt\": \"a\"}\n".repeat(BatchRequest.DEFAULT_MAX_JOBS + 1);
    assertRefused(() -> parse(NDJSON, body), "the batch has 10001 jobs, at most 10000 are allowed");
  }

  @Test
  void otherContentTypesAreRefused() {
    assertThat(assertThrows(() -> parse("text/csv", "prompt\na")).getMessage())
        .startsWith("content type 'text/csv' is not supported");
  }

  private static BatchRequest parse(String contentType, String body) {
    return BatchRequest.parse(body.getBytes(UTF_8), contentType);
  }

  private static InvalidBatchException assertRefused(ThrowingCallable call, String... problems) {
    InvalidBatchException refused = assertThrows(call);
    assertThat(refused.problems()).extracting(BatchProblem::message).containsExactly(problems);
    assertThat(refused.getMessage()).isEqualTo(String.join("; ", List.of(problems)));
    return refused;
  }

  private static InvalidBatchException assertThrows(ThrowingCallable call) {
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).isInstanceOf(InvalidBatchException.class);
    return (InvalidBatchException) thrown;
  }
}
