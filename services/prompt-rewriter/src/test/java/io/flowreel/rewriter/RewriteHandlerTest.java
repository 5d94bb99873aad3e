package io.flowreel.rewriter;

import static io.flowreel.service.testing.TestTasks.spec;
import static io.flowreel.service.testing.TestTasks.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.messages.Stage;
import io.flowreel.runtime.StageHandler.Result;
import io.flowreel.service.OpenedStage;
import io.flowreel.service.StageDefinition;
import io.flowreel.service.testing.FakeStageContext;
import org.junit.jupiter.api.Test;

class RewriteHandlerTest {

  private final RewriteHandler handler = new RewriteHandler();
  /** Rewriting touches no storage. */
  private final FakeStageContext ctx = new FakeStageContext(null);

  @Test
  void theRewrittenPromptTravelsOnTheTaskWithoutAnArtifact() {
    Result result = handler.handle(task(spec("rewritten"), 1), ctx);
    assertThat(result.rewrittenPrompt()).startsWith("A red ball bouncing on a blue floor.");
    assertThat(result.artifacts()).isEmpty();
  }

  @Test
  void aJobThatSkipsRewritingKeepsItsPrompt() {
    Result result = handler.handle(task(spec("as-is", 48, 32, 5, 3, false, false), 1), ctx);
    assertThat(result.rewrittenPrompt()).isEqualTo("a red ball bouncing on a blue floor");
  }

  @Test
  void rewriteRunsNoNetwork() throws Exception {
    StageDefinition definition = new RewriterDefinition();
    OpenedStage opened = definition.open(null, null);
    assertThat(definition.stage()).isEqualTo(Stage.REWRITE);
    assertThat(opened.handler().stage()).isEqualTo(Stage.REWRITE);
    assertThat(opened.handler().engine()).isEmpty();
    assertThat(opened.engine().kind()).isEqualTo("none");
    assertThat(opened.engine().reason()).isEqualTo("rewrite runs no network");
  }
}
