package io.flowreel.rewriter;

import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.prompts.PromptRewriter;
import io.flowreel.prompts.RuleBasedPromptRewriter;
import io.flowreel.runtime.StageContext;
import io.flowreel.runtime.StageHandler;
import java.util.List;

/** The prompt the encoders will see; small enough to travel on the task itself, so no artifact. */
public final class RewriteHandler implements StageHandler {

  private final PromptRewriter rewriter;

  public RewriteHandler(PromptRewriter rewriter) {
    this.rewriter = rewriter;
  }

  public RewriteHandler() {
    this(new RuleBasedPromptRewriter());
  }

  @Override
  public Stage stage() {
    return Stage.REWRITE;
  }

  @Override
  public Result handle(RenderTask task, StageContext ctx) {
    JobSpec spec = task.getSpec();
    String prompt = spec.getRewrite() ? rewriter.rewrite(spec.getPrompt(), spec.getSeed()) : spec.getPrompt();
    return new Result(List.of(), prompt);
  }
}
