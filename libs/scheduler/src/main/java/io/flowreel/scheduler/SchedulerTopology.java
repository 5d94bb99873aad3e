package io.flowreel.scheduler;

import io.flowreel.contract.Topics;
import io.flowreel.messages.ControlCommand;
import io.flowreel.messages.codec.MessageSerdes;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The scheduler's Kafka Streams topology, built in this one place; names are constants the tests reuse.
 *
 * <pre>
 * flowreel.schedule (SchedulerInput by stage id)
 *   -> Admission: WAITING into the stores, FINISHED frees a running slot, CONTROL pauses, resumes, reprioritises or
 *      cancels what waits; admits while the stage has a free worker
 *      -> flowreel.tasks.STAGE (the admitted task)   and   flowreel.events (CANCELLED of a task dropped here, and
 *         PAUSED, RESUMED, REPRIORITISED of a task held, handed out again or re-ordered)
 * flowreel.control (ControlCommand by job or batch id) -> global store "control"
 * </pre>
 */
public final class SchedulerTopology {

  /** RenderTask by order key (stage, tenant, priority, sequence): what waits, in the order it is chosen. */
  public static final String WAITING_STORE = "waiting";
  /** Enqueue time order of what waits: aged tasks are found at its head. */
  public static final String AGE_STORE = "waiting-by-age";
  /** Where each task the scheduler knows is (waiting or running), by stage, job id and attempt. */
  public static final String TASKS_STORE = "tasks";
  /** Each tenant's share used so far at each stage, and the sequence counter. */
  public static final String CLOCKS_STORE = "clocks";
  /** Paused jobs and batches ({@code pause/ID}) and priorities changed ({@code priority/ID}), from CONTROL inputs. */
  public static final String HOLDS_STORE = "holds";
  /** The latest control command per job and batch. */
  public static final String CONTROL_STORE = "control";

  private SchedulerTopology() {}

  /** As the tracker: a record nobody can read goes to flowreel.dlq.unreadable with its cause and is skipped. */
  public static Properties errorHandling() {
    Properties props = new Properties();
    props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueExceptionHandler.class.getName());
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueProcessingExceptionHandler.class.getName());
    props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, Topics.UNREADABLE.name());
    return props;
  }

  public static Topology build(StageCapacity capacity, SchedulingRules rules, StageBacklog backlog) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(WAITING_STORE),
        Serdes.String(), MessageSerdes.renderTask()));
    for (String name : new String[] {AGE_STORE, TASKS_STORE, CLOCKS_STORE, HOLDS_STORE}) {
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name),
          Serdes.String(), Serdes.String()));
    }
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CONTROL_STORE), Serdes.String(),
            Topics.CONTROL.valueSerde()).withLoggingDisabled(),
        Topics.CONTROL.name(), Consumed.with(Topics.CONTROL.keySerde(), Topics.CONTROL.valueSerde()),
        () -> new Processor<String, ControlCommand, Void, Void>() {
          private KeyValueStore<String, ControlCommand> control;

          @Override
          public void init(ProcessorContext<Void, Void> context) {
            control = context.getStateStore(CONTROL_STORE);
          }

          @Override
          public void process(Record<String, ControlCommand> record) {
            if (record.key() == null) {
              return;
            }
            if (record.value() == null) {
              control.delete(record.key());
            } else {
              control.put(record.key(), record.value());
            }
          }
        });
    builder.stream(Topics.SCHEDULE.name(), Consumed.with(Topics.SCHEDULE.keySerde(), Topics.SCHEDULE.valueSerde()))
        .process(() -> new Admission(capacity, rules, backlog), Named.as("admission"),
            WAITING_STORE, AGE_STORE, TASKS_STORE, CLOCKS_STORE, HOLDS_STORE)
        .to((key, value, context) -> value.topic(), Produced.with(Serdes.String(), Outgoing.SERDE));
    return builder.build();
  }
}
