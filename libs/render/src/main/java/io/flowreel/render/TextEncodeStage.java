package io.flowreel.render;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.RenderPlan;
import io.flowreel.text.TextConditioning;
import io.flowreel.text.TextEncoder;

/** Encodes the (rewritten) prompt and the negative prompt with every text encoder of the pack. */
public final class TextEncodeStage {

  /** The prompt's conditioning and the negative prompt's, which guidance steers away from. */
  public record Conditioning(TextConditioning positive, TextConditioning negative) {}

  private final ModelPack pack;
  private final TextEncoder encoder;

  public TextEncodeStage(ModelPack pack, InferenceEngine engine) {
    this.pack = pack;
    this.encoder = new TextEncoder(pack, engine);
  }

  /** {@code negativePrompt}: the job's; null takes the pack's default ({@link RenderPlan#negativePrompt}). */
  public Conditioning encode(String prompt, String negativePrompt) {
    String negative = RenderPlan.negativePrompt(negativePrompt, pack);
    return new Conditioning(encoder.encode(prompt), encoder.encode(negative == null ? "" : negative));
  }
}
