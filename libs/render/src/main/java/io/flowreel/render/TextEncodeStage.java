package io.flowreel.render;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.text.TextConditioning;
import io.flowreel.text.TextEncoder;

/** Encodes the (rewritten) prompt and the negative prompt with every text encoder of the pack. */
public final class TextEncodeStage {

  /** The prompt's conditioning and the negative prompt's, which guidance steers away from. */
  public record Conditioning(TextConditioning positive, TextConditioning negative) {}

  private final TextEncoder encoder;

  public TextEncodeStage(ModelPack pack, InferenceEngine engine) {
    this.encoder = new TextEncoder(pack, engine);
  }

  public Conditioning encode(String prompt, String negativePrompt) {
    return new Conditioning(encoder.encode(prompt), encoder.encode(negativePrompt == null ? "" : negativePrompt));
  }
}
