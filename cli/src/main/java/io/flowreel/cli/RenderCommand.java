package io.flowreel.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.contract.RenderManifest;
import io.flowreel.contract.RenderSettings;
import io.flowreel.pack.RenderPlan;
import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.tensorrt.EngineChoice;
import io.flowreel.engine.tensorrt.EngineSelection;
import io.flowreel.engine.tensorrt.Engines;
import io.flowreel.engine.tensorrt.NativeTensorRt;
import io.flowreel.engine.tensorrt.TensorRtSettings;
import io.flowreel.infra.FlowreelHome;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest;
import io.flowreel.pack.PackException;
import io.flowreel.pack.ShapeBuckets;
import io.flowreel.pack.InvalidRenderException;
import io.flowreel.render.LocalRenderer;
import io.flowreel.prompts.RuleBasedPromptRewriter;
import io.flowreel.sampling.SamplingCancelledException;
import io.flowreel.tiling.TiledDecoder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code flowreel render}: prompts in, MP4 + poster + manifest out. */
@Command(name = "render", mixinStandardHelpOptions = true,
    description = "Render prompts to DIR/<job>.mp4, .png and .json.")
final class RenderCommand implements Callable<Integer> {

  static final int EXIT_INVALID = 2;

  @Spec CommandSpec command;

  @Option(names = "--local", description = "Run every stage in this process, without Kafka or S3. Without it "
      + "a real Kafka broker, an S3 server and every service (six stages, tracker, gateway) are started for the run "
      + "and the jobs go through the gateway.")
  boolean local;

  @Option(names = "--prompt", description = "A prompt to render; repeat for several clips.")
  List<String> prompts = new ArrayList<>();

  @Option(names = "--prompts", paramLabel = "FILE.jsonl",
      description = "One job per line: {\"prompt\": ..., optional seed, width, height, frames, fps, steps, guidance, shift, negativePrompt}.")
  Path promptsFile;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
  Path out;

  @Option(names = "--pack", paramLabel = "DIR", description = "Model pack folder (default: the checkout's tiny pack, models/tiny).")
  Path pack;

  @Option(names = "--width", description = "Final width in pixels (default: the pack's, 256 for the tiny pack).")
  Integer width;

  @Option(names = "--height", description = "Final height in pixels (default: the pack's, 256 for the tiny pack).")
  Integer height;

  @Option(names = "--frames", description = "Frame count, 1 + 4k (default: the pack's, 17 for the tiny pack).")
  Integer frames;

  @Option(names = "--fps", description = "Frames per second (default: the pack's, 8 for the tiny pack).")
  Integer fps;

  @Option(names = "--steps", description = "Denoising steps (default: the pack's).")
  Integer steps;

  @Option(names = "--guidance", description = "Classifier-free guidance scale, 1 = off (default: the pack's).")
  Double guidance;

  @Option(names = "--shift", description = "Schedule shift (default: the pack's).")
  Double shift;

  @Option(names = "--seed", defaultValue = "0", description = "Noise seed; the same seed renders the same clip (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--negative-prompt", description = "What guidance steers away from (default: the pack's, empty for the tiny pack).")
  String negativePrompt;

  @Option(names = "--no-rewrite", description = "Use the prompt as given.")
  boolean noRewrite;

  @Option(names = "--no-upsample", description = "Skip the upsampler (a preview at the decoder's size); "
      + "a pack without one, such as a Wan2.1 pack, always renders at the decoder's size.")
  boolean noUpsample;

  @Option(names = "--engine", paramLabel = "auto|tensorrt|onnxruntime", defaultValue = "${env:FLOWREEL_ENGINE:-auto}",
      description = "Where the networks run (default ${DEFAULT-VALUE}, or FLOWREEL_ENGINE): auto takes TensorRT "
          + "where a CUDA device and TensorRT load, ONNX Runtime elsewhere; tensorrt fails if it cannot run. "
          + "TensorRT renders only the sizes of FLOWREEL_TENSORRT_BUCKETS (default: the pack's output size).")
  String engine;

  @Option(names = "--decode-tile", paramLabel = "LATENT_PX",
      description = "With --local: decoder tile size in latent pixels (default 24); smaller tiles bound memory, larger run faster.")
  Integer decodeTile;

  @Option(names = "--decode-overlap", paramLabel = "LATENT_PX",
      description = "With --local: overlap of decoder tiles (default: a third of the tile, at least the decoder's receptive field).")
  Integer decodeOverlap;

  @Option(names = "--decode-chunk", paramLabel = "LATENT_FRAMES",
      description = "With --local: latent frames decoded at a time (default 4).")
  Integer decodeChunk;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = command.commandLine().getErr();
    ModelPack modelPack;
    try {
      if (pack == null) {
        pack = FlowreelHome.locate().resolve("models").resolve("tiny");
      }
      modelPack = ModelPack.load(pack);
    } catch (PackException e) {
      err.println("flowreel render: " + e.getMessage());
      return EXIT_INVALID;
    }
    Map<String, RenderSettings> jobs = jobs(modelPack.manifest());
    EngineSelection selection;
    TensorRtSettings tensorRt;
    try {
      selection = EngineSelection.select(EngineChoice.parse(engine), "--engine " + engine, NativeTensorRt.PROBE);
      tensorRt = TensorRtSettings.fromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      err.println("flowreel render: " + e.getMessage());
      return EXIT_INVALID;
    } catch (IllegalStateException e) {
      err.println("flowreel render: " + e.getMessage());
      return 1;
    }
    // TensorRT engines exist for a few shapes only: refuse others now rather than after start-up.
    Optional<ShapeBuckets> buckets = selection.engine() == EngineChoice.TENSORRT
        ? Optional.of(tensorRt.bucketsFor(modelPack)) : Optional.empty();
    List<RenderPlan> plans = new ArrayList<>();
    for (Map.Entry<String, RenderSettings> job : jobs.entrySet()) {
      try {
        RenderPlan plan = RenderPlan.of(job.getKey(), job.getValue(), modelPack);
        Optional<String> outside = buckets.flatMap(b -> b.check(plan.geometry()));
        if (outside.isPresent()) {
          err.println("flowreel render: job " + job.getKey() + ": " + outside.get()
              + " (set FLOWREEL_TENSORRT_BUCKETS)");
          return EXIT_INVALID;
        }
        plans.add(plan);
      } catch (InvalidRenderException e) {
        err.println("flowreel render: job " + job.getKey() + ": " + e.getMessage());
        return EXIT_INVALID;
      }
    }
    AtomicBoolean interrupted = new AtomicBoolean();
    CountDownLatch finished = new CountDownLatch(1);
    // Ctrl-C: stop between denoising steps, then give the render time to clean up (no partial
    // files, servers stopped) before the JVM exits.
    Thread hook = new Thread(() -> {
      interrupted.set(true);
      try {
        finished.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    Runtime.getRuntime().addShutdownHook(hook);
    ProgressDisplay progress = new ProgressDisplay(err, System.console() != null);
    try {
      if (!local) {
        Path home = FlowreelHome.locate();
        Map<String, String> engineEnv = new LinkedHashMap<>();
        engineEnv.put(EngineChoice.ENV, selection.engine().id());
        buckets.ifPresent(b -> engineEnv.put(TensorRtSettings.BUCKETS_ENV, b.toString()));
        int failed = new EmbeddedRenderer(home, GatewayOptions.stateDir(), err)
            .render(plans, pack, modelPack.name(), out, progress, interrupted::get, engineEnv);
        return failed == 0 ? 0 : 1;
      }
      TiledDecoder.Options decoding;
      try {
        decoding = decoding(modelPack);
      } catch (IllegalArgumentException e) {
        err.println("flowreel render: " + e.getMessage());
        return EXIT_INVALID;
      }
      InferenceEngine inference = Engines.open(selection, modelPack, tensorRt, decoding, Optional.empty());
      LocalRenderer renderer = new LocalRenderer(modelPack, inference, new RuleBasedPromptRewriter(), decoding);
      for (RenderPlan job : plans) {
        long start = System.nanoTime();
        RenderManifest manifest = renderer.render(job, out, progress, interrupted::get);
        progress.done(job.jobId(), out.resolve(manifest.outputs().video()), (System.nanoTime() - start) / 1_000_000);
      }
    } catch (SamplingCancelledException | InterruptedException e) {
      err.println("flowreel render: interrupted (" + e.getMessage() + "); unfinished clips were not written");
      return 130;
    } catch (Exception e) {
      if (interrupted.get()) {
        err.println("flowreel render: interrupted; unfinished clips were not written");
        return 130;
      }
      throw e;
    } finally {
      finished.countDown();
      removeHook(hook);
    }
    return 0;
  }

  private TiledDecoder.Options decoding(ModelPack modelPack) {
    TiledDecoder.Options defaults = decodeTile == null
        ? TiledDecoder.Options.defaults(modelPack.manifest().decoder())
        : TiledDecoder.Options.withTile(decodeTile, modelPack.manifest().decoder());
    return new TiledDecoder.Options(defaults.tile(), decodeOverlap != null ? decodeOverlap : defaults.overlap(),
        decodeChunk != null ? decodeChunk : defaults.chunkFrames());
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the JVM is already exiting; the hook has done its job
    }
  }

  /** The jobs to render by id, in order; what neither the line nor an option sets is the pack's. */
  private Map<String, RenderSettings> jobs(PackManifest pack) throws IOException {
    int width = this.width != null ? this.width : pack.output().width();
    int height = this.height != null ? this.height : pack.output().height();
    int frames = this.frames != null ? this.frames : pack.output().frames();
    int fps = this.fps != null ? this.fps : pack.output().fps();
    boolean upsample = !noUpsample && pack.hasUpsampler();
    Map<String, RenderSettings> jobs = new LinkedHashMap<>();
    Set<String> ids = new HashSet<>();
    for (String prompt : prompts) {
      jobs.put(uniqueId(prompt, seed, ids), new RenderSettings(prompt, negativePrompt, seed, width, height, frames, fps,
          steps, guidance, shift, null, 0, !noRewrite, upsample));
    }
    if (promptsFile != null) {
      ObjectMapper json = new ObjectMapper();
      List<String> lines = Files.readAllLines(promptsFile);
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).isBlank()) {
          continue;
        }
        JsonNode line;
        try {
          line = json.readTree(lines.get(i));
        } catch (JsonProcessingException e) {
          throw new ParameterException(command.commandLine(), promptsFile + " line " + (i + 1) + ": not JSON: "
              + e.getOriginalMessage());
        }
        if (!line.hasNonNull("prompt")) {
          throw new ParameterException(command.commandLine(), promptsFile + " line " + (i + 1) + ": no \"prompt\"");
        }
        long s = line.path("seed").asLong(seed);
        String prompt = line.get("prompt").asText();
        jobs.put(uniqueId(prompt, s, ids), new RenderSettings(prompt, line.path("negativePrompt").asText(negativePrompt),
            s, line.path("width").asInt(width), line.path("height").asInt(height), line.path("frames").asInt(frames),
            line.path("fps").asInt(fps), line.has("steps") ? Integer.valueOf(line.get("steps").asInt()) : steps,
            line.has("guidance") ? Double.valueOf(line.get("guidance").asDouble()) : guidance,
            line.has("shift") ? Double.valueOf(line.get("shift").asDouble()) : shift, null, 0, !noRewrite, upsample));
      }
    }
    if (jobs.isEmpty()) {
      throw new ParameterException(command.commandLine(), "nothing to render: give --prompt or --prompts FILE.jsonl");
    }
    return jobs;
  }

  /** A readable job id: the prompt's first words and the seed, numbered if two jobs would collide. */
  static String uniqueId(String prompt, long seed, Set<String> taken) {
    String slug = prompt.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
    if (slug.length() > 40) {
      slug = slug.substring(0, 40).replaceAll("-[^-]*$", "");
    }
    String base = (slug.isEmpty() ? "clip" : slug) + "-s" + seed;
    String id = base;
    for (int n = 2; !taken.add(id); n++) {
      id = base + "-" + n;
    }
    return id;
  }
}
