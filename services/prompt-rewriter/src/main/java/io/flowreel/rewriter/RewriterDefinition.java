package io.flowreel.rewriter;

import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.service.OpenedStage;
import io.flowreel.service.StageDefinition;
import jakarta.inject.Singleton;

/** The prompt-rewriter service: stage REWRITE with the rule-based rewriter; runs no network. */
@Singleton
public class RewriterDefinition implements StageDefinition {

  @Override
  public Stage stage() {
    return Stage.REWRITE;
  }

  @Override
  public OpenedStage open(ModelPack pack, Startup startup) {
    return OpenedStage.withoutNetworks(new RewriteHandler());
  }
}
