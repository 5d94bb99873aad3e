package io.flowreel.text;

import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.TextEncoderSpec;
import io.flowreel.pack.PackManifest.TokenizerSpec;
import java.util.Arrays;

/** Turns a prompt into the token ids one text encoder was trained with. */
public interface PromptTokenizer {

  /** Token ids with the encoder's special tokens, not yet truncated or padded. */
  long[] encode(String prompt);

  static PromptTokenizer forEncoder(ModelPack pack, TextEncoderSpec encoder) {
    TokenizerSpec spec = encoder.tokenizer();
    PromptTokenizer tokenizer = switch (spec.kind()) {
      case TokenizerSpec.WORD_LEVEL, TokenizerSpec.HUGGING_FACE -> new HuggingFaceTokenizerAdapter(pack.file(spec.file()));
      case TokenizerSpec.BYTES -> new ByteTokenizer();
      default -> throw new IllegalArgumentException("unknown tokenizer kind " + spec.kind());
    };
    return TokenizerSpec.WAN_CLEANING.equals(spec.cleaning())
        ? prompt -> tokenizer.encode(WanPromptCleaning.clean(prompt))
        : tokenizer;
  }

  /**
   * Ids truncated to {@code maxLength} (keeping the final special token, as the encoders were
   * trained) and zero-padded, with the matching attention mask.
   */
  static long[][] padded(long[] ids, int maxLength) {
    long[] kept = ids;
    if (ids.length > maxLength) {
      kept = Arrays.copyOf(ids, maxLength);
      kept[maxLength - 1] = ids[ids.length - 1];
    }
    long[] padded = Arrays.copyOf(kept, maxLength);
    long[] mask = new long[maxLength];
    Arrays.fill(mask, 0, kept.length, 1);
    return new long[][] {padded, mask};
  }
}
