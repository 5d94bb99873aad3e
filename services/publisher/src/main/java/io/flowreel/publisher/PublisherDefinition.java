package io.flowreel.publisher;

import io.flowreel.messages.Stage;
import io.flowreel.service.NetworkFreeStage;
import jakarta.inject.Singleton;

/** The publisher service: stage PUBLISH, MP4, poster and manifest to the output bucket. */
@Singleton
public class PublisherDefinition extends NetworkFreeStage {

  PublisherDefinition() {
    super(Stage.PUBLISH, PublishHandler::new);
  }
}
