package io.flowreel.prompts;

import java.util.List;
import java.util.Locale;

/**
 * The default rewriter: no model, no network. It normalises whitespace and punctuation and, for a
 * short prompt, appends one shot description chosen by the seed, so a batch of one prompt with
 * several seeds varies the framing as production rewriters do. Long prompts pass through (LTX skips
 * rewriting from 120 words; we skip from {@value #LONG_PROMPT_WORDS} words, since the tiny pack's
 * encoders read 32-64 tokens). The result is capped at {@value #MAX_WORDS} words.
 */
public final class RuleBasedPromptRewriter implements PromptRewriter {

  static final int LONG_PROMPT_WORDS = 20;
  static final int MAX_WORDS = 150;

  private static final List<String> SHOTS = List.of(
      "Static camera, smooth motion, plain background.",
      "Steady wide shot, smooth motion, clean background.",
      "Locked-off camera, even lighting, simple background.");

  @Override
  public String rewrite(String prompt, long seed) {
    String text = prompt.strip().replaceAll("\\s+", " ");
    if (text.isEmpty()) {
      throw new IllegalArgumentException("prompt is empty");
    }
    String[] words = text.split(" ");
    if (words.length >= LONG_PROMPT_WORDS) {
      return words.length <= MAX_WORDS ? text : String.join(" ", java.util.Arrays.copyOf(words, MAX_WORDS));
    }
    String sentence = text.substring(0, 1).toUpperCase(Locale.ROOT) + text.substring(1);
    if (!sentence.matches(".*[.!?]$")) {
      sentence += ".";
    }
    return sentence + " " + SHOTS.get(Math.floorMod(seed, SHOTS.size()));
  }
}
