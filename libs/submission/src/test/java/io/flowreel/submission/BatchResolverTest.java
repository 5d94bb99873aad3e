package io.flowreel.submission;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowreel.contract.JobSpecMapper;
import io.flowreel.contract.RenderSettings;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.flowreel.messages.BatchSubmission;
import io.flowreel.messages.JobSpec;
import io.flowreel.pack.ShapeBuckets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BatchResolverTest {

  private static final Instant NOW = Instant.parse("2024-06-01T12:00:00Z");
  private static final String BATCH = "b-0123456789abcdef01234567";

  private static BatchResolver resolver;

  @BeforeAll
  static void loadPacks() {
    resolver = new BatchResolver(TinyPacks.catalog(), Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @Test
  void unsetOutputFieldsTakeThePacksOutputDefaultsAndSamplerFieldsStayUnset() {
    JobSpec job = single(resolve("[{\"prompt\": \"a red ball\"}]"));
    assertThat(List.of(job.getWidth(), job.getHeight(), job.getFrames(), job.getFps())).containsExactly(256, 256, 17, 8);
    assertThat(job.getSteps()).isNull();
    assertThat(job.getGuidance()).isNull();
    assertThat(job.getShift()).isNull();
    assertThat(job.getNegativePrompt()).isNull();
    assertThat(job.getPack()).isEqualTo("tiny");
    assertThat(job.getPriority()).isZero();
    assertThat(job.getRewrite()).isTrue();
    assertThat(job.getUpsample()).isTrue();
    assertThat(job.getTenant()).isEqualTo("studio-a");
    assertThat(job.getBatchId()).isEqualTo(BATCH);
  }

  @Test
  void defaultsApplyToEveryJobAndAJobsOwnFieldWins() {
    List<JobSpec> jobs = resolve("""
        {"defaults": {"prompt": "a shared shot", "width": 128, "height": 96, "steps": 4, "guidance": 2.0,
                      "priority": 5, "upsample": false, "pack": "tiny", "negativePrompt": "blur"},
         "jobs": [{"seed": 1}, {"seed": 2, "width": 64, "prompt": "its own shot", "steps": 8, "upsample": true}]}
        """).jobs();
    assertThat(jobs).extracting(JobSpec::getPrompt).containsExactly("a shared shot", "its own shot");
    assertThat(jobs).extracting(JobSpec::getWidth).containsExactly(128, 64);
    assertThat(jobs).extracting(JobSpec::getHeight).containsExactly(96, 96);
    assertThat(jobs).extracting(JobSpec::getFrames).containsExactly(17, 17);
    assertThat(jobs).extracting(JobSpec::getSteps).containsExactly(4, 8);
    assertThat(jobs).extracting(JobSpec::getGuidance).containsExactly(2.0, 2.0);
    assertThat(jobs).extracting(JobSpec::getPriority).containsExactly(5, 5);
    assertThat(jobs).extracting(JobSpec::getUpsample).containsExactly(false, true);
    assertThat(jobs).extracting(JobSpec::getNegativePrompt).containsExactly("blur", "blur");
    assertThat(jobs).extracting(JobSpec::getSeed).containsExactly(1L, 2L);
  }

  @Test
  void jobIdsAreTheBatchIdAndTheIndex() {
    AcceptedBatch batch = resolve("[{\"prompt\": \"a\"}, {\"prompt\": \"b\"}, {\"prompt\": \"c\"}]");
    assertThat(batch.jobs()).extracting(JobSpec::getJobId)
        .containsExactly(BATCH + "-000000", BATCH + "-000001", BATCH + "-000002");
  }

  @Test
  void theSubmissionRecordsTheBatch() {
    BatchSubmission submission = resolver.resolve(request("[{\"prompt\": \"a\"}, {\"prompt\": \"b\"}]"), "studio-a",
        BATCH, "nightly-1").submission();
    assertThat(submission.getBatchId()).isEqualTo(BATCH);
    assertThat(submission.getTenant()).isEqualTo("studio-a");
    assertThat(submission.getIdempotencyKey()).isEqualTo("nightly-1");
    assertThat(submission.getTotal()).isEqualTo(2);
    assertThat(submission.getCreatedAtMillis()).isEqualTo(NOW.toEpochMilli());
    assertThat(submission.getRequestSha256()).matches("[0-9a-f]{64}");
    assertThat(resolve("[{\"prompt\": \"a\"}]").submission().getIdempotencyKey()).isNull();
  }

  @Test
  void oneInvalidJobRefusesTheWholeBatchNamingItsIndexAndTheNearestValidSize() {
    InvalidBatchException refused = refuse("[{\"prompt\": \"a\"}, {\"prompt\": \"b\", \"width\": 300}, {\"prompt\": \"c\"}]");
    assertThat(refused.problems()).singleElement().satisfies(p -> {
      assertThat(p.job()).hasValue(1);
      assertThat(p.message()).isEqualTo("jobs[1]: width 300 is not valid for pack tiny: it must be a multiple of 32 "
          + "between 32 and 512 (nearest valid: 288 or 320)");
    });
  }

  @Test
  void withTensorRtBucketsAJobOfAnotherShapeIsRefusedNamingTheValidOnes() {
    BatchResolver gpu = new BatchResolver(TinyPacks.catalog(), ShapeBuckets.parseList("256x256x17,512x512x33"),
        Clock.fixed(NOW, ZoneOffset.UTC));
    InvalidBatchException refused = catchThrowableOfType(InvalidBatchException.class, () -> gpu.resolve(request("""
        [{"prompt": "in a bucket"}, {"prompt": "too long", "frames": 21},
         {"prompt": "preview", "width": 256, "height": 256, "frames": 17, "upsample": false},
         {"prompt": "a preview of a bucket", "width": 128, "height": 128, "upsample": false}]
        """), "studio-a", BATCH, null));
    assertThat(refused.problems()).extracting(BatchProblem::message).containsExactly(
        "jobs[1]: size 256x256x21 is not one of the shapes this farm's GPU engines for pack tiny were built for: use "
            + "256x256x17, 512x512x33 (128x128x17, 256x256x33 without upsampling)",
        "jobs[2]: size 256x256x17 without upsampling is not one of the shapes this farm's GPU engines for pack tiny "
            + "were built for: use 256x256x17, 512x512x33 (128x128x17, 256x256x33 without upsampling)");
    String inBuckets = "[{\"prompt\": \"a\"}, {\"prompt\": \"b\", \"width\": 512, \"height\": 512, \"frames\": 33},"
        + " {\"prompt\": \"c\", \"width\": 256, \"height\": 256, \"frames\": 33, \"upsample\": false}]";
    assertThat(gpu.resolve(request(inBuckets), "studio-a", BATCH, null).jobs()).hasSize(3);
    // Without buckets (ONNX Runtime takes any size) the same shape passes.
    assertThat(resolve("[{\"prompt\": \"b\", \"frames\": 21}]").jobs()).hasSize(1);
  }

  @Test
  void aBucketAPackCannotRenderStopsTheGatewayAtStart() {
    assertThatThrownBy(() -> new BatchResolver(TinyPacks.catalog(), ShapeBuckets.parseList("4096x4096x17"),
        Clock.fixed(NOW, ZoneOffset.UTC)))
        .hasMessageStartingWith("shape bucket 4096x4096x17: width 4096 is not valid for pack tiny");
  }

  @Test
  void everyProblemOfEveryJobIsCollected() {
    InvalidBatchException refused = refuse("""
        [{"prompt": "a", "frames": 18},
         {"prompt": "b"},
         {"prompt": " ", "steps": 0, "priority": 12, "fps": 500, "guidance": 0.5, "shift": 0},
         {"prompt": "d", "upsample": false, "width": 48, "height": 600}]
        """);
    assertThat(refused.problems()).extracting(BatchProblem::message).containsExactly(
        "jobs[0]: frames 18 is not valid for pack tiny: the decoder produces 1 + 4k frames, from 1 to 61 "
            + "(nearest valid: 17 or 21)",
        "jobs[2]: priority 12 must be between 0 and 9",
        "jobs[2]: prompt is empty",
        "jobs[2]: steps 0 must be between 1 and 200",
        "jobs[2]: guidance 0.5 must be between 1 (no guidance) and 30.0",
        "jobs[2]: shift 0.0 must be above 0 and at most 100",
        "jobs[2]: fps 500 must be between 1 and 120",
        "jobs[3]: height 600 is not valid for pack tiny: it must be a multiple of 16 between 16 and 256 "
            + "(nearest valid: 256)");
    assertThat(refused.problems()).extracting(p -> p.job().getAsInt()).containsExactly(0, 2, 2, 2, 2, 2, 2, 3);
    assertThat(refused.getMessage()).startsWith("jobs[0]: frames 18").contains("; jobs[2]: priority 12");
  }

  @Test
  void anUnknownPackIsNamedWithTheKnownOnes() {
    InvalidBatchException refused = refuse("[{\"prompt\": \"a\"}, {\"prompt\": \"b\", \"pack\": \"huge\"}]");
    assertThat(refused.getMessage()).isEqualTo("jobs[1]: unknown pack 'huge'; known packs: tiny, wan2.1-t2v-reduced");
  }

  @Test
  void anUnknownPackInTheDefaultsIsNamedOnce() {
    InvalidBatchException refused = refuse(
        "{\"defaults\": {\"pack\": \"huge\"}, \"jobs\": [{\"prompt\": \"a\"}, {\"prompt\": \"b\"}, "
            + "{\"prompt\": \"c\", \"pack\": \"tiny\", \"priority\": -1}]}");
    assertThat(refused.problems()).extracting(BatchProblem::message).containsExactly(
        "defaults.pack: unknown pack 'huge'; known packs: tiny, wan2.1-t2v-reduced",
        "jobs[2]: priority -1 must be between 0 and 9");
    assertThat(refused.problems().get(0).job()).isEmpty();
  }

  @Test
  void unsetSeedsAreDerivedFromBatchAndIndexSoARepeatedRequestResolvesAlike() {
    String body = "[{\"prompt\": \"a\"}, {\"prompt\": \"a\"}, {\"prompt\": \"a\", \"seed\": 7}]";
    AcceptedBatch first = resolve(body);
    AcceptedBatch again = resolve(body);
    assertThat(again.jobs()).isEqualTo(first.jobs());
    assertThat(again.submission().getRequestSha256()).isEqualTo(first.submission().getRequestSha256());

    List<Long> seeds = first.jobs().stream().map(JobSpec::getSeed).toList();
    assertThat(seeds.get(0)).isNotNegative().isNotEqualTo(seeds.get(1)).isEqualTo(BatchResolver.derivedSeed(BATCH, 0));
    assertThat(seeds.get(2)).isEqualTo(7L);

    AcceptedBatch otherBatch = resolver.resolve(request(body), "studio-a", "b-other", null);
    assertThat(otherBatch.jobs().get(0).getSeed()).isNotEqualTo(seeds.get(0));
    assertThat(otherBatch.jobs().get(2).getSeed()).isEqualTo(7L);
  }

  @Test
  void theRequestHashChangesWithAnyResolvedField() {
    String base = "{\"prompt\": \"a\", \"seed\": 1}";
    String hash = hash("[" + base + "]");
    assertThat(hash("[{\"seed\": 1, \"prompt\": \"a\", \"fps\": 8, \"width\": 256}]"))
        .as("the same job written differently, defaults spelt out").isEqualTo(hash);
    for (String changed : List.of("{\"prompt\": \"b\", \"seed\": 1}", "{\"prompt\": \"a\", \"seed\": 2}",
        "{\"prompt\": \"a\", \"seed\": 1, \"fps\": 9}", "{\"prompt\": \"a\", \"seed\": 1, \"steps\": 20}",
        "{\"prompt\": \"a\", \"seed\": 1, \"negativePrompt\": \"\"}", "{\"prompt\": \"a\", \"seed\": 1, \"priority\": 1}",
        "{\"prompt\": \"a\", \"seed\": 1, \"rewrite\": false}", "{\"prompt\": \"a\", \"seed\": 1, \"upsample\": false}")) {
      assertThat(hash("[" + changed + "]")).as(changed).isNotEqualTo(hash);
    }
    assertThat(hash("[" + base + ", " + base + "]")).isNotEqualTo(hash);
  }

  @Test
  void everySettingOfARequestReachesTheWireSpecUnchanged() throws Exception {
    // The API request's boundary: a job that sets every field resolves to exactly those settings.
    RenderSettings asked = new RenderSettings("a red ball", "blur", 42, 128, 96, 9, 12, 30, 4.5, 2.5, "tiny", 7, false,
        false);
    ObjectNode job = new ObjectMapper().valueToTree(asked);
    // callbackUrl says where a job's webhooks go, not what it renders: it stays with the submission.
    assertThat(job.properties()).extracting(java.util.Map.Entry::getKey)
        .containsExactlyInAnyOrderElementsOf(JobRequest.FIELDS.stream().filter(f -> !f.equals("callbackUrl")).toList());
    JobSpec wire = single(resolve("[" + job + "]"));
    assertThat(JobSpecMapper.settings(wire)).isEqualTo(asked);
  }

  @Test
  void theRequestHashOfAKnownRequestNeverChanges() {
    // A client repeats an Idempotency-Key across gateway upgrades: the same request must hash alike.
    List<JobSpec> jobs = List.of(
        JobSpecMapper.toWire("b-1-000000", "b-1", "t", new RenderSettings("a red ball", null, 7, 256, 256, 17, 8,
            null, null, null, "tiny", 0, true, true)),
        JobSpecMapper.toWire("b-1-000001", "b-1", "t", new RenderSettings("a blue box", "blur", 8, 128, 96, 9, 12, 30,
            4.5, 2.5, "tiny", 7, false, false)));
    assertThat(BatchResolver.requestSha256(jobs)).isEqualTo("7244f141a0db4d842a1f9e1495a898367daed3e8b7a12bc718d1ce382cdca262");
  }

  @Test
  void aBatchIdThatCannotPrefixJobIdsIsAProgrammingError() {
    assertThatThrownBy(() -> resolver.resolve(request("[{\"prompt\": \"a\"}]"), "studio-a", "-bad", null))
        .isInstanceOf(IllegalArgumentException.class)
        .isNotInstanceOf(InvalidBatchException.class);
  }

  private static BatchRequest request(String json) {
    return BatchRequest.parse(json.getBytes(UTF_8), BatchRequest.JSON);
  }

  private static AcceptedBatch resolve(String json) {
    return resolver.resolve(request(json), "studio-a", BATCH, null);
  }

  private static InvalidBatchException refuse(String json) {
    return catchThrowableOfType(InvalidBatchException.class, () -> resolve(json));
  }

  private static String hash(String json) {
    return resolve(json).submission().getRequestSha256();
  }

  private static JobSpec single(AcceptedBatch batch) {
    assertThat(batch.jobs()).hasSize(1);
    return batch.jobs().get(0);
  }
}
