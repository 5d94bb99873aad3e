package io.flowreel.publisher;

import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.service.OpenedStage;
import io.flowreel.service.StageDefinition;
import jakarta.inject.Singleton;

/** The publisher service: stage PUBLISH, MP4, poster and manifest to the output bucket; runs no network. */
@Singleton
public class PublisherDefinition implements StageDefinition {

  @Override
  public Stage stage() {
    return Stage.PUBLISH;
  }

  @Override
  public OpenedStage open(ModelPack pack, Startup startup) {
    return OpenedStage.withoutNetworks(new PublishHandler(pack));
  }
}
