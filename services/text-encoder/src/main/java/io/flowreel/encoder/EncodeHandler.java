package io.flowreel.encoder;

import io.flowreel.artifacts.Conditioning;
import io.flowreel.engine.InferenceEngine;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.TextEncoderSpec;
import io.flowreel.render.TextEncodeStage;
import io.flowreel.runtime.StageContext;
import io.flowreel.runtime.StageHandler;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Encodes the (rewritten) prompt and the negative prompt with every text encoder of the pack and
 * stores both as one {@link Conditioning} artifact, what DENOISE reads.
 */
public final class EncodeHandler implements StageHandler {

  private final TextEncodeStage encode;
  private final String engineKind;


  /** The pack's networks this stage runs: every text encoder. */
  public static List<String> networks(ModelPack pack) {
    return pack.manifest().textEncoders().stream().map(TextEncoderSpec::network).toList();
  }

  public EncodeHandler(ModelPack pack, InferenceEngine engine) {
    this.encode = new TextEncodeStage(pack, engine);
    this.engineKind = engine.kind();
  }

  @Override
  public Stage stage() {
    return Stage.ENCODE;
  }

  @Override
  public Optional<String> engine() {
    return Optional.of(engineKind);
  }

  @Override
  public Result handle(RenderTask task, StageContext ctx) throws IOException {
    String prompt = task.getRewrittenPrompt() != null ? task.getRewrittenPrompt() : task.getSpec().getPrompt();
    TextEncodeStage.Conditioning text = encode.encode(prompt, task.getSpec().getNegativePrompt());
    return Result.of(new Conditioning(text.positive().inputs(), text.negative().inputs()).store(ctx, task));
  }
}
