package io.flowreel.contract;

import io.flowreel.messages.BatchFinished;
import io.flowreel.messages.BatchSubmission;
import io.flowreel.messages.ControlCommand;
import io.flowreel.messages.DeadLetter;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.SchedulerInput;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.codec.MessageSerdes;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every topic Flowreel uses, with its key and value types: the typed side of infra/topics.yaml (which
 * declares partitions, retention and cleanup; a test keeps the two equal).
 */
public final class Topics {

  /** Lifecycle events of every stage, keyed by job id; the tracker folds them. */
  public static final Topic<String, StageEvent> EVENTS =
      new Topic<>("flowreel.events", Serdes.String(), MessageSerdes.stageEvent(), "job id");
  /** Cancel and fencing commands, keyed by job or batch id; compacted. */
  public static final Topic<String, ControlCommand> CONTROL =
      new Topic<>("flowreel.control", Serdes.String(), MessageSerdes.controlCommand(), "job id or batch id");
  /**
   * Tasks waiting to be admitted to a stage and tasks a stage has finished with, keyed by stage id: the
   * scheduler's input (docs/scheduling.md). One stage's records stay in one partition, in order.
   */
  public static final Topic<String, SchedulerInput> SCHEDULE =
      new Topic<>("flowreel.schedule", Serdes.String(), MessageSerdes.schedulerInput(), "stage id");
  /** Batches whose every job has finished, keyed by batch id: the tracker's, for the batches' webhooks. */
  public static final Topic<String, BatchFinished> BATCHES_FINISHED =
      new Topic<>("flowreel.batches.finished", Serdes.String(), MessageSerdes.batchFinished(), "batch id");
  /** Accepted batches, keyed by batch id; compacted. */
  public static final Topic<String, BatchSubmission> BATCHES =
      new Topic<>("flowreel.batches", Serdes.String(), MessageSerdes.batchSubmission(), "batch id");

  /**
   * Records a reader could not decode, from every topic but the task topics: key and value as they were,
   * where they came from and why in the headers ({@link UnreadableRecords}).
   */
  public static final Topic<byte[], byte[]> UNREADABLE =
      new Topic<>("flowreel.dlq.unreadable", Serdes.ByteArray(), Serdes.ByteArray(), "the record's own key");

  private Topics() {}

  /** The work of one stage, keyed by job id. */
  public static Topic<String, RenderTask> tasks(Stage stage) {
    return of(TASKS, stage);
  }

  /**
   * Tasks one stage gave up on, keyed by job id. A record that was not a task at all goes there with its
   * bytes unchanged and the cause in the {@code flowreel.error} headers, so not every value decodes.
   */
  public static Topic<String, DeadLetter> deadLetters(Stage stage) {
    return of(DEAD_LETTERS, stage);
  }

  // Built once: every send and every read of a task asks for its topic, and a serde holds decoders
  // whose schema resolutions are worth keeping.
  private static final Map<Stage, Topic<String, RenderTask>> TASKS = byStage(s ->
      new Topic<>("flowreel.tasks." + Stages.id(s), Serdes.String(), MessageSerdes.renderTask(), "job id"));
  private static final Map<Stage, Topic<String, DeadLetter>> DEAD_LETTERS = byStage(s ->
      new Topic<>("flowreel.dlq." + Stages.id(s), Serdes.String(), MessageSerdes.deadLetter(), "job id"));

  private static <T> Map<Stage, T> byStage(Function<Stage, T> topic) {
    Map<Stage, T> all = new EnumMap<>(Stage.class);
    Stages.PIPELINE.forEach(s -> all.put(s, topic.apply(s)));
    return all;
  }

  private static <T> T of(Map<Stage, T> topics, Stage stage) {
    T topic = topics.get(stage);
    if (topic == null) {
      throw new IllegalArgumentException("stage " + stage + " has no topics");
    }
    return topic;
  }

  /** Every topic, in the order of infra/topics.yaml. */
  public static List<Topic<?, ?>> all() {
    List<Topic<?, ?>> all = new ArrayList<>();
    Stages.PIPELINE.forEach(s -> all.add(tasks(s)));
    Stages.PIPELINE.forEach(s -> all.add(deadLetters(s)));
    all.addAll(List.of(UNREADABLE, EVENTS, BATCHES, CONTROL, SCHEDULE, BATCHES_FINISHED));
    return all;
  }
}
