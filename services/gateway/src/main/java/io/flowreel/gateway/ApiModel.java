package io.flowreel.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.flowreel.messages.StageEvent;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest;
import io.flowreel.pack.PackManifest.OutputDefaults;
import io.flowreel.pack.PackManifest.SamplerDefaults;
import io.flowreel.pack.SizeRules;
import io.flowreel.tracker.BatchStatus;
import io.flowreel.tracker.JobState;
import io.flowreel.tracker.JobStatus;
import io.flowreel.tracker.StageStatus;
import io.flowreel.tracker.StoredArtifact;
import io.flowreel.tracker.Submission;
import io.flowreel.contract.RenderSettings;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;

/**
 * The JSON the API returns, apart from the tracker's internal records: those may change with the
 * tracker, these are the contract of {@code /v1} (docs/api.md).
 */
public final class ApiModel {

  private ApiModel() {}

  /** A job: where it is, what it renders, what it produced. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Job(
      String id,
      String batchId,
      String tenant,
      JobState state,
      boolean paused,
      String stage,
      double progress,
      int attempt,
      String prompt,
      String rewrittenPrompt,
      RenderSettings spec,
      List<Stage> stages,
      String error,
      List<Output> outputs,
      Instant submittedAt,
      Instant updatedAt) {

    static Job of(JobStatus job, Function<StoredArtifact, Output> link) {
      return new Job(job.jobId(), job.batchId(), job.tenant(), job.state(), job.paused(), job.currentStage(),
          job.progress(),
          job.attempt(), job.spec() == null ? null : job.spec().prompt(), job.rewrittenPrompt(), job.spec(),
          job.stages().entrySet().stream().map(e -> Stage.of(e.getKey(), e.getValue())).toList(), job.error(),
          job.outputs().stream().map(link).toList(), instant(job.submittedMillis()),
          instant(job.lastEventMillis()));
    }
  }

  /** A page of a list, newest first: {@code cursor} continues it ({@code next} is the same request with it). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record JobList(List<Job> jobs, String cursor, String next) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record BatchList(List<Batch> batches, String cursor, String next) {}

  /**
   * A task a stage gave up on, from the stage's dead-letter topic: why, and how to run it again ({@code retry}, a
   * POST); {@code jobState} and {@code jobAttempt} say where the job is now (a retried job has a higher attempt).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DeadLetter(String jobId, String batchId, String tenant, String stage, int attempt, String error,
      String errorClass, int deliveryAttempts, Instant deadLetteredAt, JobState jobState, Integer jobAttempt,
      String retry) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DeadLetterList(String stage, List<DeadLetter> deadLetters, String cursor, String next) {}

  /** A new priority for a job's or batch's queued work: {@code {"priority": 0..9}}. */
  public record PriorityChange(Integer priority) {

    static int checked(PriorityChange change) {
      Integer priority = change == null ? null : change.priority;
      if (priority == null || priority < 0 || priority > 9) {
        throw ApiException.badRequest("the body must be {\"priority\": N} with N from 0 (lowest) to 9 (highest)"
            + (priority == null ? "" : ", not " + priority));
      }
      return priority;
    }
  }

  /** A tenant's unfinished jobs and its queue quota (none: absent). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Usage(String tenant, long queued, long running, Long queueQuota) {}

  /** One stage of a job, for the attempt that last ran it: earlier attempts' stages are reused by a retry. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Stage(
      String stage,
      int attempt,
      String state,
      Instant startedAt,
      Instant finishedAt,
      Long durationMillis,
      Integer step,
      Integer totalSteps,
      double progress,
      int retries,
      String error) {

    static Stage of(String name, StageStatus s) {
      return new Stage(name, s.attempt(), s.state().name(), instant(s.startedMillis()), instant(s.finishedMillis()),
          s.durationMillis(), s.step(), s.totalSteps(), s.progress(), s.retries(), s.error());
    }
  }

  /** A published file and a presigned link to download it until {@code expiresAt}. */
  public record Output(String name, String format, long size, String sha256, String url, Instant expiresAt) {}

  /** A batch: how many jobs it has and how many are in each state. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Batch(
      String id,
      String tenant,
      String idempotencyKey,
      long total,
      long queued,
      long running,
      long succeeded,
      long failed,
      long cancelled,
      long done,
      Instant createdAt,
      String jobs) {

    static Batch of(String id, Submission submission, BatchStatus status) {
      BatchStatus counts = status != null ? status : BatchStatus.empty(id, null);
      // Jobs the tracker has not counted yet are queued: the submission says they exist.
      long total = submission != null ? submission.total() : counts.total();
      long counted = counts.queued() + counts.running() + counts.done();
      return new Batch(id, submission != null ? submission.tenant() : counts.tenant(),
          submission != null ? submission.idempotencyKey() : null, total,
          counts.queued() + Math.max(0, total - counted), counts.running(), counts.succeeded(), counts.failed(),
          counts.cancelled(), counts.done(), submission != null ? instant(submission.createdAtMillis()) : null,
          "/v1/batches/" + id + "/jobs");
    }
  }

  /** The answer to a submission: the batch and the ids of its jobs, in the order they were submitted. */
  public record Submitted(Batch batch, List<String> jobIds) {}

  /** The answer to a batch retry: the batch and the jobs that run again, each as a new attempt. */
  public record Retried(Batch batch, List<String> jobIds) {}

  /** One page of a batch's jobs; {@code next} is the next page's path, or null on the last page. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record JobPage(String batchId, int from, int limit, long total, List<Job> jobs, String next) {}

  /** A stage event as the event streams send it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Event(
      String jobId,
      String batchId,
      String stage,
      int attempt,
      String type,
      Integer step,
      Integer totalSteps,
      Double progress,
      String error,
      Long durationMillis,
      String worker,
      Instant time) {

    static Event of(StageEvent e) {
      return new Event(e.getJobId(), e.getBatchId(), e.getStage().name(), e.getAttempt(), e.getType().name(),
          e.getStep(), e.getTotalSteps(), e.getProgress(), e.getError(), e.getDurationMillis(), e.getWorker(),
          Instant.ofEpochMilli(e.getTimeMillis()));
    }
  }

  /**
   * A model pack jobs may name ({@code pack}): what a job gets for the fields it leaves unset ({@code output}'s size
   * is a final one, upsampled when the pack upsamples), and the sizes it may ask for.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Pack(String name, String version, String description, @JsonProperty("default") boolean isDefault,
      boolean upsampler, PackOutput output, PackSampler sampler, PackSizes sizes) {

    static Pack of(ModelPack pack, boolean isDefault) {
      PackManifest m = pack.manifest();
      OutputDefaults out = m.output();
      SamplerDefaults sampler = m.sampler();
      return new Pack(m.name(), m.version(), m.description(), isDefault, m.hasUpsampler(),
          new PackOutput(out.width(), out.height(), out.frames(), out.fps()),
          new PackSampler(sampler.solver(), sampler.steps(), sampler.shift(), sampler.guidance(),
              sampler.guidanceDistilled(), sampler.negativePrompt()),
          PackSizes.of(pack));
    }
  }

  public record PackList(List<Pack> packs) {}

  public record PackOutput(int width, int height, int frames, int fps) {}

  /** {@code negativePrompt} is what a job that gives none is steered away from; absent: none. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PackSampler(String solver, int steps, double shift, double guidance, boolean guidanceDistilled,
      String negativePrompt) {}

  /**
   * The widths and heights a job may ask for with {@code upsample} true (absent: the pack has no upsampler) and
   * false, and the frame counts: the pack's {@link SizeRules}, which submission checks jobs against.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PackSizes(PixelSizes withUpsample, PixelSizes withoutUpsample, FrameCounts frames) {

    static PackSizes of(ModelPack pack) {
      SizeRules rules = pack.sizeRules();
      SizeRules.ValidSizes plain = rules.validSizes(false);
      SizeRules.FrameRange frames = plain.frames();
      return new PackSizes(pack.manifest().hasUpsampler() ? PixelSizes.of(rules.validSizes(true)) : null,
          PixelSizes.of(plain), new FrameCounts("1 + " + frames.step() + "k", frames.step(), 1, frames.max()));
    }
  }

  /** Each axis as multiples of {@code multiple} from {@code min} to {@code max}, inclusive. */
  public record PixelSizes(SizeRules.AxisRange width, SizeRules.AxisRange height) {

    static PixelSizes of(SizeRules.ValidSizes sizes) {
      return new PixelSizes(sizes.width(), sizes.height());
    }
  }

  /** {@code 1 + step * k} from {@code min} to {@code max}, inclusive ({@code rule} says it in words). */
  public record FrameCounts(String rule, int step, int min, int max) {}

  /** Every 4xx and 5xx body: what went wrong, in words a person can act on. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Error(int status, String error, String reason, List<String> problems) {}

  private static Instant instant(Long millis) {
    return millis == null || millis == 0 ? null : Instant.ofEpochMilli(millis);
  }
}
