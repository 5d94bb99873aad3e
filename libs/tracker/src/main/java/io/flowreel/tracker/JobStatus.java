package io.flowreel.tracker;

import io.flowreel.contract.RenderSettings;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What the tracker knows about one job, folded from its stage events by {@link JobStateMachine}.
 * Stored as JSON in the {@code jobs} store; no Avro types, so the store and the API do not change
 * when a message schema does.
 *
 * @param jobId job id (the events' key)
 * @param batchId batch the job belongs to
 * @param tenant studio that owns the job
 * @param spec what the job renders, from its QUEUED event, or null before that event
 * @param rewrittenPrompt the prompt the stages render after REWRITE, or null
 * @param state the job's state
 * @param currentStage furthest stage of the current attempt that has reported, or null
 * @param attempt highest attempt seen; events of lower attempts are superseded
 * @param stages per stage name, in pipeline order
 * @param progress 0..1 over the whole pipeline
 * @param error why the job failed ("DENOISE: ..."), or null
 * @param outputs what PUBLISH stored, from its SUCCEEDED event
 * @param submittedMillis time of the QUEUED event of the first attempt, or 0
 * @param lastEventMillis time of the newest event applied
 * @param applied "STAGE/attempt/TYPE" of the events already applied in this attempt (idempotency)
 * @param dropPending cancelled by the gateway while queued, and no stage has reported dropping its task yet: the
 *     cancel command must stay on the control topic until one has (the task still waits in a stage's queue)
 * @param paused the scheduler holds the job's waiting task (its job or batch is paused): no stage is given it
 */
public record JobStatus(
    String jobId,
    String batchId,
    String tenant,
    RenderSettings spec,
    String rewrittenPrompt,
    JobState state,
    String currentStage,
    int attempt,
    Map<String, StageStatus> stages,
    double progress,
    String error,
    List<StoredArtifact> outputs,
    long submittedMillis,
    long lastEventMillis,
    SortedSet<String> applied,
    boolean dropPending,
    boolean paused) {

  public JobStatus {
    // Immutable copies: a status in a store must never change under a reader's feet.
    stages = Collections.unmodifiableMap(new LinkedHashMap<>(stages == null ? Map.of() : stages));
    outputs = List.copyOf(outputs == null ? List.of() : outputs);
    applied = Collections.unmodifiableSortedSet(new TreeSet<>(applied == null ? Set.<String>of() : applied));
  }

  /** A job nothing is known about yet, before its first event. */
  public static JobStatus unknown(String jobId, String batchId, String tenant) {
    return new JobStatus(jobId, batchId, tenant, null, null, JobState.UNKNOWN, null, 0, Map.of(), 0.0, null,
        List.of(), 0L, 0L, null, false, false);
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Mutable copy used inside one transition; {@link #build()} gives the next immutable status. */
  public static final class Builder {
    private final String jobId;
    private final String batchId;
    private final String tenant;
    RenderSettings spec;
    String rewrittenPrompt;
    JobState state;
    String currentStage;
    int attempt;
    final Map<String, StageStatus> stages;
    double progress;
    String error;
    List<StoredArtifact> outputs;
    long submittedMillis;
    long lastEventMillis;
    final SortedSet<String> applied;
    boolean dropPending;
    boolean paused;

    private Builder(JobStatus from) {
      jobId = from.jobId;
      batchId = from.batchId;
      tenant = from.tenant;
      spec = from.spec;
      rewrittenPrompt = from.rewrittenPrompt;
      state = from.state;
      currentStage = from.currentStage;
      attempt = from.attempt;
      stages = new LinkedHashMap<>(from.stages);
      progress = from.progress;
      error = from.error;
      outputs = new ArrayList<>(from.outputs);
      submittedMillis = from.submittedMillis;
      lastEventMillis = from.lastEventMillis;
      applied = new TreeSet<>(from.applied);
      dropPending = from.dropPending;
      paused = from.paused;
    }

    public JobStatus build() {
      return new JobStatus(jobId, batchId, tenant, spec, rewrittenPrompt, state, currentStage, attempt, stages,
          progress, error, outputs, submittedMillis, lastEventMillis, applied, dropPending,
          paused);
    }
  }
}
