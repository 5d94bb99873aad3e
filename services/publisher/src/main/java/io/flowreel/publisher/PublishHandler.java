package io.flowreel.publisher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowreel.artifacts.ClipFrames;
import io.flowreel.contract.JobSpecMapper;
import io.flowreel.contract.RenderManifest;
import io.flowreel.contract.Stages;
import io.flowreel.media.Mp4Writer;
import io.flowreel.media.PixelConversion;
import io.flowreel.media.PosterWriter;
import io.flowreel.media.RgbFrame;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.RenderPlan;
import io.flowreel.pack.SizeRules;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.CorruptArtifactException;
import io.flowreel.runtime.StageContext;
import io.flowreel.runtime.StageHandler;
import io.flowreel.tensor.ByteTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.regex.Pattern;

/**
 * The newest {@link ClipFrames} as {@code outputs/<batch>/<job>.mp4}, {@code .png} (the middle frame) and
 * {@code .json} in the output bucket, the manifest last. A manifest of the same or a newer attempt
 * means the clip is already published: nothing is uploaded and no second completion is reported.
 */
public final class PublishHandler implements StageHandler {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Pattern KEY_PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final String STAGE = Stages.id(Stage.PUBLISH);

  private final ModelPack pack;

  public PublishHandler(ModelPack pack) {
    this.pack = pack;
  }

  @Override
  public Stage stage() {
    return Stage.PUBLISH;
  }

  /**
   * Where an attempt of a job publishes its clip: {@code outputs/<batchId>/<jobId>.attempt-<n>} plus
   * the extension. Each attempt has its own files, so a stale attempt that publishes late (a worker
   * that hung, then woke) can never replace a newer attempt's clip; the tracker lists the outputs of
   * the job's current attempt only.
   */
  public static String outputKey(JobSpec spec, int attempt, String extension) {
    if (!KEY_PART.matcher(spec.getBatchId()).matches()) {
      throw new IllegalArgumentException("batch id '" + spec.getBatchId() + "' cannot be part of an object key: use "
          + "1-128 letters, digits, '.', '_' or '-'");
    }
    return "outputs/" + spec.getBatchId() + "/" + spec.getJobId() + ".attempt-" + attempt + "." + extension;
  }

  @Override
  public Result handle(RenderTask task, StageContext ctx) throws IOException {
    long start = System.nanoTime();
    JobSpec spec = task.getSpec();
    RenderPlan job = RenderPlan.of(spec.getJobId(), JobSpecMapper.settings(spec), pack);
    String manifestKey = outputKey(spec, task.getAttempt(), "json");
    Optional<Result> earlier = publishedEarlier(ctx, spec, task.getAttempt());
    if (earlier.isPresent()) {
      return earlier.get();
    }
    ByteTensor frames = ClipFrames.read(ctx, task);
    SizeRules.Geometry g = job.geometry();
    int[] expected = {g.frames(), 3, g.height(), g.width()};
    if (!Arrays.equals(frames.shape(), expected)) {
      throw new CorruptArtifactException("frames of job " + spec.getJobId() + " have shape "
          + Arrays.toString(frames.shape()) + ", the spec asks for " + Arrays.toString(expected));
    }
    Path dir = Files.createTempDirectory("flowreel-publish-");
    try {
      Path video = dir.resolve("clip.mp4");
      Path poster = dir.resolve("clip.png");
      PosterWriter.writePng(encodeVideo(frames, video, spec.getFps()), poster);
      if (ctx.stopRequested()) {
        throw new CancellationException("publish of job " + spec.getJobId() + " stopped before upload");
      }
      String bucket = ctx.outputBucket();
      Artifact videoArtifact = ctx.store().put(bucket, outputKey(spec, task.getAttempt(), "mp4"), Files.readAllBytes(video),
          Artifact.Format.MP4, STAGE, "video", List.of());
      Artifact posterArtifact = ctx.store().put(bucket, outputKey(spec, task.getAttempt(), "png"), Files.readAllBytes(poster),
          Artifact.Format.PNG, STAGE, "poster", List.of());
      Map<String, Long> millis = new LinkedHashMap<>(task.getStageMillis());
      millis.put(STAGE, (System.nanoTime() - start) / 1_000_000);
      RenderManifest manifest = manifest(task, job, millis,
          new RenderManifest.Outputs(bucket, videoArtifact.key(), posterArtifact.key(), manifestKey));
      Artifact manifestArtifact = ctx.store().put(bucket, manifestKey, JSON.writeValueAsBytes(manifest),
          Artifact.Format.JSON, STAGE, "manifest", List.of());
      return Result.of(videoArtifact, posterArtifact, manifestArtifact);
    } finally {
      deleteTree(dir);
    }
  }

  /**
   * What an earlier delivery of this attempt published, if it got as far as the manifest (which goes
   * last, so the clip is whole). That delivery may have died before reporting it: the same files
   * are reported again, nothing is uploaded, and the tracker ignores a completion it has seen.
   */
  private static Optional<Result> publishedEarlier(StageContext ctx, JobSpec spec, int attempt) throws IOException {
    String bucket = ctx.outputBucket();
    Optional<Artifact> manifest = ctx.store().stored(bucket, outputKey(spec, attempt, "json"), Artifact.Format.JSON,
        STAGE, "manifest");
    if (manifest.isEmpty()) {
      return Optional.empty();
    }
    Artifact video = ctx.store().stored(bucket, outputKey(spec, attempt, "mp4"), Artifact.Format.MP4, STAGE, "video")
        .orElseThrow(() -> new CorruptArtifactException("the published manifest of job " + spec.getJobId()
            + " has no video beside it"));
    Artifact poster = ctx.store().stored(bucket, outputKey(spec, attempt, "png"), Artifact.Format.PNG, STAGE,
        "poster").orElseThrow(() -> new CorruptArtifactException("the published manifest of job "
            + spec.getJobId() + " has no poster beside it"));
    return Optional.of(Result.of(video, poster, manifest.get()));
  }

  /** Writes the MP4 and returns the poster frame: the middle one, as LocalRenderer picks it. */
  private static RgbFrame encodeVideo(ByteTensor frames, Path video, int fps) throws IOException {
    int n = frames.dim(0);
    RgbFrame poster = null;
    try (Mp4Writer writer = new Mp4Writer(video, frames.dim(3), frames.dim(2), fps)) {
      for (int i = 0; i < n; i++) {
        RgbFrame frame = PixelConversion.toRgb(frames, i);
        if (i == n / 2) {
          poster = frame;
        }
        writer.write(frame);
      }
    }
    return poster;
  }

  /** The manifest the local renderer writes, plus the batch, tenant and attempt that fence later publishes. */
  private RenderManifest manifest(RenderTask task, RenderPlan job, Map<String, Long> millis,
      RenderManifest.Outputs outputs) {
    JobSpec spec = task.getSpec();
    String encoded = task.getRewrittenPrompt() != null ? task.getRewrittenPrompt() : spec.getPrompt();
    return job.manifest(encoded, pack, task.getStageEngines().get(Stages.id(Stage.DENOISE)), task.getStageEngines(),
        millis, outputs).published(spec.getBatchId(), spec.getTenant(), task.getAttempt());
  }


  /** Best effort: a left-over temp file must not fail a clip that is already uploaded. */
  private static void deleteTree(Path dir) {
    try (var files = Files.list(dir)) {
      for (Path file : files.toList()) {
        Files.deleteIfExists(file);
      }
      Files.delete(dir);
    } catch (IOException e) {
      // the OS's temp cleaning gets it
    }
  }
}
