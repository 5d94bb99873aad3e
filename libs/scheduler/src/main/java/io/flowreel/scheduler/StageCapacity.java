package io.flowreel.scheduler;

import io.flowreel.messages.Stage;

/** How many workers a stage has now: how many of its tasks may run at once. */
@FunctionalInterface
public interface StageCapacity {

  int workers(Stage stage);
}
