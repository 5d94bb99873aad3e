package io.flowreel.pack;

import java.util.Optional;

/**
 * The characters a prompt may hold. Prompts reach text encoders, manifests, logs and terminals, so
 * the ones that cannot be seen yet change what is shown are refused: control characters (but tab,
 * line feed and carriage return, which pasted text has), bidirectional embeddings, overrides and
 * isolates (they make a prompt read differently from what it is, as in "Trojan Source") and lone
 * UTF-16 surrogates (not text at all; they cannot be written as UTF-8).
 */
public final class PromptText {

  private PromptText() {}

  /** Why {@code text} is refused, naming the first bad character and its index; empty when it is fine. */
  public static Optional<String> refusal(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      String what = null;
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++; // a well-formed pair: one character outside the BMP
        continue;
      }
      if (Character.isSurrogate(c)) {
        what = "a lone surrogate";
      } else if (Character.isISOControl(c) && c != '\t' && c != '\n' && c != '\r') {
        what = "a control character";
      } else if ((c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')) {
        what = "a bidirectional override";
      }
      if (what != null) {
        return Optional.of(String.format("U+%04X (%s) at index %d; control characters other than tab and newline, "
            + "bidirectional overrides and lone surrogates are refused", (int) c, what, i));
      }
    }
    return Optional.empty();
  }
}
