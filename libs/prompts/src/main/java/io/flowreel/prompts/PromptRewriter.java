package io.flowreel.prompts;

/** Expands a short user prompt into the detailed description the text encoders see. */
public interface PromptRewriter {

  /** Never empty; the original prompt when there is nothing to add. */
  String rewrite(String prompt, long seed);
}
