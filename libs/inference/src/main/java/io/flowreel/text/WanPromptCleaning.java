package io.flowreel.text;

import java.text.Normalizer;
import java.util.regex.Pattern;
import org.jsoup.parser.Parser;

/**
 * What Wan2.1 does to a prompt before its umT5 tokenizer sees it (wan/modules/tokenizers.py,
 * {@code clean='whitespace'}): {@code basic_clean} then {@code whitespace_clean}.
 *
 * <p>{@code basic_clean} is {@code ftfy.fix_text}, HTML unescaping twice and a strip. Of ftfy only
 * what changes well-formed text is done here: curly quotes made straight and NFC; its repair of
 * mojibake is not (tools/wan/wan_tokenizer.py mirrors exactly this, and docs/wan.md says what differs).
 */
final class WanPromptCleaning {

  // The regex module's \s, which the official code uses, is Unicode's White_Space.
  private static final Pattern WHITE_SPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
  private static final Pattern SINGLE_QUOTES = Pattern.compile("[\u2018-\u201b\u02bc]");
  private static final Pattern DOUBLE_QUOTES = Pattern.compile("[\u201c-\u201f]");

  private WanPromptCleaning() {}

  static String clean(String prompt) {
    String text = SINGLE_QUOTES.matcher(prompt).replaceAll("'");
    text = DOUBLE_QUOTES.matcher(text).replaceAll("\"");
    text = Normalizer.normalize(text, Normalizer.Form.NFC);
    text = Parser.unescapeEntities(Parser.unescapeEntities(text, false), false).strip();
    return WHITE_SPACE.matcher(text).replaceAll(" ").strip();
  }
}
