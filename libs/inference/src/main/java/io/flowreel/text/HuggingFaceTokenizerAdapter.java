package io.flowreel.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/** A Hugging Face {@code tokenizer.json}, run by the Rust tokenizers library through DJL. */
final class HuggingFaceTokenizerAdapter implements PromptTokenizer {

  private final HuggingFaceTokenizer tokenizer;

  HuggingFaceTokenizerAdapter(Path tokenizerJson) {
    try {
      // Truncation and padding stay ours (PromptTokenizer.padded) so every tokenizer kind shares one rule.
      tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson,
          Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load tokenizer " + tokenizerJson, e);
    }
  }

  @Override
  public long[] encode(String prompt) {
    return tokenizer.encode(prompt).getIds();
  }
}
