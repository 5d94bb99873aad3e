package io.flowreel.handlers;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.render.TextEncodeStage;
import io.flowreel.render.TextEncodeStage.Conditioning;
import io.flowreel.runtime.CorruptArtifactException;
import io.flowreel.runtime.StageContext;
import io.flowreel.runtime.StageHandler;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Tensor;
import io.flowreel.text.TextConditioning;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Encodes the (rewritten) prompt and the negative prompt into one safetensors artifact,
 * "conditioning", with a tensor {@code positive.<dit input>} and {@code negative.<dit input>} each.
 */
public final class EncodeHandler implements StageHandler {

  static final String CONDITIONING = "conditioning";
  private static final String POSITIVE = "positive.";
  private static final String NEGATIVE = "negative.";

  private final TextEncodeStage encode;
  private final String engineKind;

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
    Conditioning text = encode.encode(prompt, task.getSpec().getNegativePrompt());
    // Sorted names: a redelivered task writes byte-identical objects.
    Map<String, FloatTensor> tensors = new TreeMap<>();
    text.positive().inputs().forEach((input, t) -> tensors.put(POSITIVE + input, t));
    text.negative().inputs().forEach((input, t) -> tensors.put(NEGATIVE + input, t));
    return Result.of(StoredTensors.store(ctx, task, Stage.ENCODE, CONDITIONING, tensors));
  }

  /** The newest "conditioning" of the task, split back into the prompt's and the negative prompt's. */
  static Conditioning readConditioning(StageContext ctx, RenderTask task) throws IOException {
    Map<String, FloatTensor> positive = new TreeMap<>();
    Map<String, FloatTensor> negative = new TreeMap<>();
    Map<String, Tensor> tensors = StoredTensors.read(ctx, task, CONDITIONING);
    for (String name : tensors.keySet()) {
      FloatTensor t = StoredTensors.asFloat(tensors, CONDITIONING, name);
      if (name.startsWith(POSITIVE)) {
        positive.put(name.substring(POSITIVE.length()), t);
      } else if (name.startsWith(NEGATIVE)) {
        negative.put(name.substring(NEGATIVE.length()), t);
      } else {
        throw new CorruptArtifactException("conditioning has an unexpected tensor '" + name + "'");
      }
    }
    if (positive.isEmpty() || !positive.keySet().equals(negative.keySet())) {
      throw new CorruptArtifactException("conditioning needs the same inputs for both prompts, got positive "
          + positive.keySet() + " and negative " + negative.keySet());
    }
    return new Conditioning(new TextConditioning(positive), new TextConditioning(negative));
  }
}
