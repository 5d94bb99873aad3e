package io.flowreel.artifacts;

import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.CorruptArtifactException;
import io.flowreel.runtime.StageContext;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Tensor;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * What ENCODE hands DENOISE: the prompt's and the negative prompt's inputs to the DiT, as one
 * safetensors artifact "conditioning" with a tensor {@code positive.<dit input>} and
 * {@code negative.<dit input>} each.
 */
public record Conditioning(Map<String, FloatTensor> positive, Map<String, FloatTensor> negative) {

  public static final String NAME = "conditioning";
  private static final String POSITIVE = "positive.";
  private static final String NEGATIVE = "negative.";

  public Artifact store(StageContext ctx, RenderTask task) throws IOException {
    // Sorted names: a redelivered task writes byte-identical objects.
    Map<String, FloatTensor> tensors = new TreeMap<>();
    positive.forEach((input, t) -> tensors.put(POSITIVE + input, t));
    negative.forEach((input, t) -> tensors.put(NEGATIVE + input, t));
    return StoredTensors.store(ctx, task, Stage.ENCODE, NAME, tensors);
  }

  /** The newest "conditioning" of the task, split back into the prompt's and the negative prompt's. */
  public static Conditioning read(StageContext ctx, RenderTask task) throws IOException {
    Map<String, FloatTensor> positive = new TreeMap<>();
    Map<String, FloatTensor> negative = new TreeMap<>();
    Map<String, Tensor> tensors = StoredTensors.read(ctx, task, NAME);
    for (String name : tensors.keySet()) {
      FloatTensor t = StoredTensors.asFloat(tensors, NAME, name);
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
    return new Conditioning(positive, negative);
  }
}
