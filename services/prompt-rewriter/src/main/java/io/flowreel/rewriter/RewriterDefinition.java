package io.flowreel.rewriter;

import io.flowreel.messages.Stage;
import io.flowreel.service.NetworkFreeStage;
import jakarta.inject.Singleton;

/** The prompt-rewriter service: stage REWRITE with the rule-based rewriter. */
@Singleton
public class RewriterDefinition extends NetworkFreeStage {

  RewriterDefinition() {
    super(Stage.REWRITE, pack -> new RewriteHandler());
  }
}
