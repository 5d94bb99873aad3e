package io.flowreel.runtime;

import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import java.util.List;
import java.util.UUID;

/** Lifecycle events of one task at one stage, keyed by job id on the events topic. */
final class Events {

  private Events() {}

  static StageEvent.Builder of(RenderTask task, Stage stage, StageEventType type, String worker) {
    return StageEvent.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setJobId(task.getSpec().getJobId())
        .setBatchId(task.getSpec().getBatchId())
        .setTenant(task.getSpec().getTenant())
        .setStage(stage)
        .setAttempt(task.getAttempt())
        .setType(type)
        .setTimeMillis(System.currentTimeMillis())
        .setWorker(worker)
        .setArtifacts(List.<ArtifactRef>of());
  }
}
