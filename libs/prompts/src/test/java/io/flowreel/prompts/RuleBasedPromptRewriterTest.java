package io.flowreel.prompts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RuleBasedPromptRewriterTest {

  private final RuleBasedPromptRewriter rewriter = new RuleBasedPromptRewriter();

  @Test
  void shortPromptGetsASentenceAndAShotDescriptionChosenBySeed() {
    assertThat(rewriter.rewrite("  a red   ball bouncing ", 0))
        .isEqualTo("A red ball bouncing. Static camera, smooth motion, plain background.");
    assertThat(rewriter.rewrite("a red ball bouncing", 1)).endsWith("Steady wide shot, smooth motion, clean background.");
    assertThat(rewriter.rewrite("a red ball bouncing!", 0)).startsWith("A red ball bouncing! Static");
  }

  @Test
  void longPromptPassesThroughCappedAt150Words() {
    String longPrompt = "word ".repeat(30).strip();
    assertThat(rewriter.rewrite(longPrompt, 3)).isEqualTo(longPrompt);
    assertThat(rewriter.rewrite("word ".repeat(400), 3).split(" ")).hasSize(150);
  }

  @Test
  void emptyPromptIsRefused() {
    assertThatThrownBy(() -> rewriter.rewrite("   ", 0)).hasMessage("prompt is empty");
  }
}
