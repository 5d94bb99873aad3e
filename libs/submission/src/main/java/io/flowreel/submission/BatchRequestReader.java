package io.flowreel.submission;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Reads one request body into a {@link BatchRequest}, collecting every problem before refusing it.
 * Fields are read by hand from the JSON tree rather than bound to a class, so that each problem can
 * say which job and field it is in and what was expected.
 */
final class BatchRequestReader {

  private static final String DEFAULTS = "defaults";
  private static final String JOBS = "jobs";
  private static final String CALLBACK_URL = "callbackUrl";
  private static final int SHOWN_VALUE_CHARS = 40;

  // A repeated field or trailing text is refused like a typo: either would render something other
  // than what the client meant without telling them.
  private static final JsonMapper MAPPER = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private final int maxJobs;
  private final List<BatchProblem> problems = new ArrayList<>();

  BatchRequestReader(int maxJobs) {
    this.maxJobs = maxJobs;
  }

  /** Where a job or the defaults came from: its path in the request and, for JSON Lines, its line. */
  private record Source(OptionalInt job, String path, String lineSuffix) {

    static Source defaults(String lineSuffix) {
      return new Source(OptionalInt.empty(), DEFAULTS, lineSuffix);
    }

    static Source job(int index, String lineSuffix) {
      return new Source(OptionalInt.of(index), JOBS + "[" + index + "]", lineSuffix);
    }

    String here() {
      return path + lineSuffix;
    }

    String field(String name) {
      return path + "." + name + lineSuffix;
    }
  }

  BatchRequest readJson(byte[] body) {
    JsonNode root;
    try {
      root = MAPPER.readTree(body);
    } catch (IOException e) {
      throw refused(malformed(e, location -> "line " + location.getLineNr() + ", column " + location.getColumnNr()));
    }
    if (root == null || root.isMissingNode()) {
      throw refused("request body is empty");
    }
    JobRequest defaults = JobRequest.EMPTY;
    JsonNode jobs;
    String callbackUrl = null;
    if (root.isArray()) {
      jobs = root;
    } else if (root.isObject()) {
      unknownFields(root, List.of(DEFAULTS, JOBS, CALLBACK_URL), "request", OptionalInt.empty());
      callbackUrl = callbackUrl(root, "request");
      jobs = root.get(JOBS);
      if (jobs == null || !jobs.isArray()) {
        throw refused("request: expected 'jobs', an array of job objects"
            + (jobs == null ? "" : ", got " + shown(jobs)));
      }
      JsonNode defaultsNode = root.get(DEFAULTS);
      if (defaultsNode != null && !defaultsNode.isNull()) {
        defaults = readJob(defaultsNode, Source.defaults(""));
      }
    } else {
      throw refused("request: expected an object with 'jobs' or an array of job objects, got " + shown(root));
    }
    checkCount(jobs.size());
    List<JobRequest> requests = new ArrayList<>();
    for (int i = 0; i < jobs.size(); i++) {
      requests.add(readJob(jobs.get(i), Source.job(i, "")));
    }
    return finish(defaults, requests, callbackUrl);
  }

  BatchRequest readJsonLines(byte[] body) {
    String[] lines = new String(body, StandardCharsets.UTF_8).split("\r?\n", -1);
    List<Integer> lineNrs = new ArrayList<>();
    List<JsonNode> nodes = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      if (!lines[i].isBlank()) {
        lineNrs.add(i + 1);
        nodes.add(parseLine(lines[i], i + 1));
      }
    }
    JobRequest defaults = JobRequest.EMPTY;
    String callbackUrl = null;
    int firstJob = 0;
    JsonNode first = nodes.isEmpty() ? null : nodes.get(0);
    if (first != null && first.isObject() && first.has(DEFAULTS)) {
      String where = "line " + lineNrs.get(0);
      unknownFields(first, List.of(DEFAULTS, CALLBACK_URL), where, OptionalInt.empty());
      defaults = readJob(first.get(DEFAULTS), Source.defaults(" (" + where + ")"));
      callbackUrl = callbackUrl(first, where);
      firstJob = 1;
    }
    checkCount(nodes.size() - firstJob);
    List<JobRequest> requests = new ArrayList<>();
    for (int i = firstJob; i < nodes.size(); i++) {
      JsonNode node = nodes.get(i);
      // A malformed line was reported when it was parsed; it still counts as a job, so the indexes
      // of the lines after it are the ones the client would see once it is fixed.
      requests.add(node == null ? JobRequest.EMPTY
          : readJob(node, Source.job(i - firstJob, " (line " + lineNrs.get(i) + ")")));
    }
    return finish(defaults, requests, callbackUrl);
  }

  private JsonNode parseLine(String text, int lineNr) {
    try {
      return MAPPER.readTree(text);
    } catch (IOException e) {
      problems.add(BatchProblem.ofBatch(
          "line " + lineNr + ": " + malformed(e, location -> "column " + location.getColumnNr())));
      return null;
    }
  }

  private BatchRequest finish(JobRequest defaults, List<JobRequest> jobs, String callbackUrl) {
    if (!problems.isEmpty()) {
      throw new InvalidBatchException(problems);
    }
    // The defaults' callbackUrl is the batch's, unless the request names one of its own.
    return new BatchRequest(defaults, jobs, callbackUrl != null ? callbackUrl : defaults.callbackUrl());
  }

  /** The batch's webhook address, if given; whether the tenant may use it is the gateway's to say. */
  private String callbackUrl(JsonNode object, String where) {
    JsonNode url = object.get(CALLBACK_URL);
    if (url == null || url.isNull()) {
      return null;
    }
    if (!url.isTextual() || url.asText().isBlank()) {
      problems.add(BatchProblem.ofBatch(where + ": '" + CALLBACK_URL + "' must be a URL string, got " + shown(url)));
      return null;
    }
    return url.asText().trim();
  }

  private void checkCount(int jobs) {
    if (jobs == 0) {
      throw refused("the batch has no jobs");
    }
    if (jobs > maxJobs) {
      throw refused("the batch has " + jobs + " jobs, at most " + maxJobs + " are allowed");
    }
  }

  private JobRequest readJob(JsonNode node, Source at) {
    if (!node.isObject()) {
      problems.add(new BatchProblem(at.job(), at.here() + ": expected a job object, got " + shown(node)));
      return JobRequest.EMPTY;
    }
    unknownFields(node, JobRequest.FIELDS, at.here(), at.job());
    return new JobRequest(
        text(node, "prompt", at),
        text(node, "negativePrompt", at),
        wholeNumber(node, "seed", at, JsonNode::canConvertToLong, JsonNode::longValue),
        wholeNumber(node, "width", at, JsonNode::canConvertToInt, JsonNode::intValue),
        wholeNumber(node, "height", at, JsonNode::canConvertToInt, JsonNode::intValue),
        wholeNumber(node, "frames", at, JsonNode::canConvertToInt, JsonNode::intValue),
        wholeNumber(node, "fps", at, JsonNode::canConvertToInt, JsonNode::intValue),
        wholeNumber(node, "steps", at, JsonNode::canConvertToInt, JsonNode::intValue),
        number(node, "guidance", at),
        number(node, "shift", at),
        text(node, "pack", at),
        wholeNumber(node, "priority", at, JsonNode::canConvertToInt, JsonNode::intValue),
        bool(node, "rewrite", at),
        bool(node, "upsample", at),
        text(node, CALLBACK_URL, at));
  }

  private void unknownFields(JsonNode object, List<String> allowed, String where, OptionalInt job) {
    for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        problems.add(new BatchProblem(job, where + ": unknown field '" + name + "'; allowed: "
            + String.join(", ", allowed)));
      }
    }
  }

  private String text(JsonNode job, String field, Source at) {
    JsonNode value = job.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    return value.isTextual() ? value.textValue() : wrongType(at, field, "a string", value);
  }

  private <T> T wholeNumber(JsonNode job, String field, Source at, Predicate<JsonNode> fits,
      Function<JsonNode, T> read) {
    JsonNode value = job.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    return value.isIntegralNumber() && fits.test(value) ? read.apply(value)
        : wrongType(at, field, "a whole number", value);
  }

  private Double number(JsonNode job, String field, Source at) {
    JsonNode value = job.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    return value.isNumber() ? value.doubleValue() : wrongType(at, field, "a number", value);
  }

  private Boolean bool(JsonNode job, String field, Source at) {
    JsonNode value = job.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    return value.isBoolean() ? value.booleanValue() : wrongType(at, field, "true or false", value);
  }

  private <T> T wrongType(Source at, String field, String expected, JsonNode value) {
    problems.add(new BatchProblem(at.job(), at.field(field) + ": expected " + expected + ", got " + shown(value)));
    return null;
  }

  private static String shown(JsonNode value) {
    String json = value.toString();
    return json.length() <= SHOWN_VALUE_CHARS ? json : json.substring(0, SHOWN_VALUE_CHARS) + "...";
  }

  private static String malformed(IOException e, Function<JsonLocation, String> where) {
    if (e instanceof JsonProcessingException json && json.getLocation() != null) {
      // Jackson may add where the open object started, as a redacted source and (for JSON Lines) a
      // line within the line: more confusing than helpful next to the location given first.
      String detail = json.getOriginalMessage();
      int marker = detail.indexOf(" (start marker at");
      return "malformed JSON at " + where.apply(json.getLocation()) + ": "
          + (marker < 0 ? detail : detail.substring(0, marker));
    }
    return "malformed JSON: " + e.getMessage();
  }

  /** Refuses the request with {@code problem} and every problem found before it. */
  private InvalidBatchException refused(String problem) {
    problems.add(BatchProblem.ofBatch(problem));
    return new InvalidBatchException(problems);
  }
}
