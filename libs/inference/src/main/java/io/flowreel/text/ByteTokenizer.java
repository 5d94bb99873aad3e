package io.flowreel.text;

import java.nio.charset.StandardCharsets;

/** ByT5's tokenizer: one id per UTF-8 byte, shifted past the pad, eos and unk ids, then eos. */
public final class ByteTokenizer implements PromptTokenizer {

  static final int EOS = 1;
  private static final int OFFSET = 3;

  @Override
  public long[] encode(String prompt) {
    byte[] bytes = prompt.getBytes(StandardCharsets.UTF_8);
    long[] ids = new long[bytes.length + 1];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = Byte.toUnsignedInt(bytes[i]) + OFFSET;
    }
    ids[bytes.length] = EOS;
    return ids;
  }
}
