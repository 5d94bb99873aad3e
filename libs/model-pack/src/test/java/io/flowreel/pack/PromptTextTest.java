package io.flowreel.pack;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PromptTextTest {

  @ParameterizedTest
  @ValueSource(strings = {"a red ball", "tab\tand\r\nnew lines", "accents é ñ, CJK 赤い球, emoji 🎈 (a surrogate pair)",
      "right-to-left text \u05e9\u05dc\u05d5\u05dd is fine without overrides", ""})
  void ordinaryTextPasses(String prompt) {
    assertThat(PromptText.refusal(prompt)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc\u0000", "abc\u001b[31m", "abc\u007f", "abc\u0085", "abc\u202e", "abc\u2066",
      "abc\ud800", "abc\udc00", "abc\ud800x"})
  void invisibleOrBrokenCharactersAreRefusedNamingTheirIndex(String prompt) {
    assertThat(PromptText.refusal(prompt)).hasValueSatisfying(why -> assertThat(why)
        .startsWith(String.format("U+%04X", (int) prompt.charAt(3))).contains("at index 3"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"\u0000", "\u001b", "\u202e", "\ud800"})
  void aRenderPlanRefusesThemInEitherPrompt(String bad) {
    var plan = new RenderPlanTest();
    assertThat(plan.problems("a red ball" + bad, null)).singleElement().asString()
        .startsWith("prompt has U+").contains("at index 10");
    assertThat(plan.problems("a red ball", "blur" + bad)).singleElement().asString()
        .startsWith("negative prompt has U+").contains("at index 4");
  }
}
