package io.flowreel.submission;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.flowreel.contract.Ids;
import io.flowreel.contract.JobSpecMapper;
import io.flowreel.contract.RenderSettings;
import io.flowreel.messages.BatchSubmission;
import io.flowreel.messages.JobSpec;
import io.flowreel.pack.InvalidRenderException;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.OutputDefaults;
import io.flowreel.pack.RenderPlan;
import io.flowreel.pack.ShapeBucket;
import io.flowreel.pack.ShapeBuckets;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.Schema;

/**
 * Turns a parsed request into an accepted batch: fills in every default, derives ids and seeds,
 * checks each job against its pack and refuses the whole batch, naming every problem of every job,
 * if any job is invalid. The same request under the same batch id resolves to the same jobs and
 * the same request hash.
 */
public final class BatchResolver {

  public static final int MAX_PRIORITY = 9;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> NOT_HASHED = Set.of("jobId", "batchId", "tenant");

  private final PackCatalog packs;
  private final Map<String, ShapeBuckets> buckets;
  private final Clock clock;

  /** Any size a pack accepts: the stages run ONNX Runtime, or TensorRT is not known to this gateway. */
  public BatchResolver(PackCatalog packs, Clock clock) {
    this(packs, List.of(), clock);
  }

  /**
   * Only jobs whose shape is one of {@code buckets} (empty: any), as where the stages run TensorRT
   * engines built for those shapes alone.
   *
   * @throws IllegalArgumentException when a bucket is not a size some pack accepts
   */
  public BatchResolver(PackCatalog packs, List<ShapeBucket> buckets, Clock clock) {
    this.packs = packs;
    this.buckets = new HashMap<>();
    if (!buckets.isEmpty()) {
      for (String name : packs.names()) {
        this.buckets.put(name, ShapeBuckets.of(buckets, packs.pack(name).orElseThrow()));
      }
    }
    this.clock = clock;
  }

  /**
   * Resolves {@code request} as batch {@code batchId} of {@code tenant}; {@code idempotencyKey} is
   * recorded in the submission and may be null. Throws {@link InvalidBatchException} with the
   * problems of all jobs, and then nothing of the batch is accepted.
   */
  /** The jobs that named a webhook address of their own, other than the batch's. */
  private static Map<String, String> jobCallbackUrls(BatchRequest request, List<JobSpec> jobs) {
    Map<String, String> urls = new LinkedHashMap<>();
    for (int i = 0; i < jobs.size(); i++) {
      String own = request.jobs().get(i).callbackUrl();
      if (own != null && !own.equals(request.callbackUrl())) {
        urls.put(jobs.get(i).getJobId(), own);
      }
    }
    return urls;
  }

  public AcceptedBatch resolve(BatchRequest request, String tenant, String batchId, String idempotencyKey) {
    Objects.requireNonNull(tenant, "tenant");
    if (!Ids.isBatchId(batchId)) {
      throw new IllegalArgumentException("batch id '" + batchId + "' must match " + Ids.BATCH_ID);
    }
    List<BatchProblem> problems = new ArrayList<>();
    String sharedPack = request.defaults().pack();
    // An unknown pack in the defaults is told once, not once for each job that relies on it.
    if (sharedPack != null && packs.pack(sharedPack).isEmpty()) {
      problems.add(BatchProblem.ofBatch("defaults.pack: " + packs.unknownPackProblem(sharedPack)));
    }
    List<JobSpec> jobs = new ArrayList<>();
    for (int i = 0; i < request.jobs().size(); i++) {
      List<String> jobProblems = new ArrayList<>();
      resolveJob(request.jobs().get(i), request.defaults(), tenant, batchId, i, jobProblems).ifPresent(jobs::add);
      for (String problem : jobProblems) {
        problems.add(BatchProblem.ofJob(i, "jobs[" + i + "]: " + problem));
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidBatchException(problems);
    }
    BatchSubmission submission = BatchSubmission.newBuilder()
        .setBatchId(batchId)
        .setTenant(tenant)
        .setIdempotencyKey(idempotencyKey)
        .setRequestSha256(requestSha256(jobs))
        .setTotal(jobs.size())
        .setCreatedAtMillis(clock.millis())
        .setCallbackUrl(request.callbackUrl())
        .setJobCallbackUrls(jobCallbackUrls(request, jobs))
        .build();
    return new AcceptedBatch(submission, jobs);
  }

  /** Job {@code index} with every default filled in, if it passes its pack's checks. */
  private Optional<JobSpec> resolveJob(JobRequest own, JobRequest defaults, String tenant, String batchId,
      int index, List<String> problems) {
    JobRequest job = own.withDefaults(defaults);
    int priority = job.priority() != null ? job.priority() : 0;
    if (priority < 0 || priority > MAX_PRIORITY) {
      problems.add("priority " + priority + " must be between 0 and " + MAX_PRIORITY);
    }
    String packName = job.pack() != null ? job.pack() : packs.defaultPack();
    Optional<ModelPack> found = packs.pack(packName);
    if (found.isEmpty()) {
      if (own.pack() != null) {
        problems.add(packs.unknownPackProblem(packName));
      }
      return Optional.empty();
    }
    ModelPack pack = found.get();
    OutputDefaults output = pack.manifest().output();
    String jobId = Ids.jobId(batchId, index);
    long seed = job.seed() != null ? job.seed() : derivedSeed(batchId, index);
    int width = job.width() != null ? job.width() : output.width();
    int height = job.height() != null ? job.height() : output.height();
    int frames = job.frames() != null ? job.frames() : output.frames();
    int fps = job.fps() != null ? job.fps() : output.fps();
    boolean rewrite = job.rewrite() == null || job.rewrite();
    // A pack without an upsampler renders at the decoder's size; asking it to upsample is refused.
    boolean upsample = job.upsample() == null ? pack.manifest().hasUpsampler() : job.upsample();
    // Sampler settings stay unset: the stages take the pack's defaults, as the wire schema says.
    RenderSettings settings = new RenderSettings(job.prompt(), job.negativePrompt(), seed, width, height, frames, fps,
        job.steps(), job.guidance(), job.shift(), pack.name(), priority, rewrite, upsample);
    try {
      RenderPlan plan = RenderPlan.of(jobId, settings, pack);
      Optional.ofNullable(buckets.get(pack.name())).flatMap(b -> b.check(plan.geometry())).ifPresent(problems::add);
    } catch (InvalidRenderException e) {
      problems.addAll(e.problems());
    }
    if (!problems.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(JobSpecMapper.toWire(jobId, batchId, tenant, settings));
  }

  /** A seed for a job that names none: fixed by its batch and index, so a retried request renders alike. */
  static long derivedSeed(String batchId, int index) {
    return ByteBuffer.wrap(Sha256.of(batchId + "/" + index)).getLong() & Long.MAX_VALUE;
  }

  /**
   * Hex sha256 of the resolved jobs as compact JSON, one array per job of every field in schema
   * order but the ids and tenant (the batch id already follows from tenant and key). Read from the
   * schema, so a field added to JobSpec is hashed without a change here.
   */
  static String requestSha256(List<JobSpec> jobs) {
    ArrayNode all = JsonNodeFactory.instance.arrayNode();
    for (JobSpec job : jobs) {
      ArrayNode fields = all.addArray();
      for (Schema.Field field : JobSpec.getClassSchema().getFields()) {
        if (!NOT_HASHED.contains(field.name())) {
          fields.add(JSON.valueToTree(job.get(field.pos())));
        }
      }
    }
    try {
      return Sha256.hex(JSON.writeValueAsBytes(all));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings, numbers and booleans always serialises", e);
    }
  }
}
