package io.flowreel.messages.codec;

import io.flowreel.messages.BatchFinished;
import io.flowreel.messages.BatchSubmission;
import io.flowreel.messages.ControlCommand;
import io.flowreel.messages.DeadLetter;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.SchedulerInput;
import io.flowreel.messages.StageEvent;

/**
 * Serdes of the message types, reading with this jar's catalogue. Not named {@code Serdes} so
 * that it sits next to Kafka's {@code Serdes.String()} without a clash.
 */
public final class MessageSerdes {

  private MessageSerdes() {
  }

  public static AvroSerde<RenderTask> renderTask() {
    return AvroSerde.of(RenderTask.class, SchemaCatalogue.fromClasspath());
  }

  public static AvroSerde<StageEvent> stageEvent() {
    return AvroSerde.of(StageEvent.class, SchemaCatalogue.fromClasspath());
  }

  public static AvroSerde<ControlCommand> controlCommand() {
    return AvroSerde.of(ControlCommand.class, SchemaCatalogue.fromClasspath());
  }

  public static AvroSerde<DeadLetter> deadLetter() {
    return AvroSerde.of(DeadLetter.class, SchemaCatalogue.fromClasspath());
  }

  public static AvroSerde<BatchSubmission> batchSubmission() {
    return AvroSerde.of(BatchSubmission.class, SchemaCatalogue.fromClasspath());
  }

  public static AvroSerde<BatchFinished> batchFinished() {
    return AvroSerde.of(BatchFinished.class, SchemaCatalogue.fromClasspath());
  }

  public static AvroSerde<SchedulerInput> schedulerInput() {
    return AvroSerde.of(SchedulerInput.class, SchemaCatalogue.fromClasspath());
  }
}
