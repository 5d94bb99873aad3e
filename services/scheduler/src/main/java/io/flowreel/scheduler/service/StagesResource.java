package io.flowreel.scheduler.service;

import io.flowreel.contract.Stages;
import io.flowreel.messages.Stage;
import io.flowreel.scheduler.Scheduler;
import io.flowreel.scheduler.StageBacklog;
import jakarta.inject.Singleton;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.ServiceUnavailableException;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code /scheduler/stages}: each stage's backlog and workers, for the gateway's {@code /v1/stages} (the dashboard).
 * The same figures as the scheduler's gauges on /q/metrics. Internal, like the tracker's API: reachable from the
 * gateway only (loopback here, a NetworkPolicy on Kubernetes).
 */
@Singleton
@Path("/scheduler/stages")
@Produces(MediaType.APPLICATION_JSON)
public class StagesResource {

  /** One stage: tasks waiting for it (paused ones not counted), admitted and unfinished, its workers. */
  public record StageLoad(String stage, int waiting, int admitted, int workers) {}

  private final SchedulerStreams streams;

  StagesResource(SchedulerStreams streams) {
    this.streams = streams;
  }

  @GET
  public List<StageLoad> stages() {
    Scheduler scheduler = streams.running().orElseThrow(() -> new ServiceUnavailableException("starting"));
    List<StageLoad> all = new ArrayList<>();
    for (Stage stage : Stages.PIPELINE) {
      StageBacklog.Counts counts = scheduler.backlog().of(stage);
      all.add(new StageLoad(Stages.id(stage), counts.waiting(), counts.admitted(),
          scheduler.capacity().workers(stage)));
    }
    return all;
  }
}
