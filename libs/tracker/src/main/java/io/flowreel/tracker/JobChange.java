package io.flowreel.tracker;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * A job of a batch moving from one state to another: all the batch counts need of a job's update, so
 * the repartition by batch id carries a few bytes instead of the job's whole status. Sent only when the
 * state changes, which is once or twice in a job's life of a dozen or more events.
 *
 * @param tenant studio that owns the job (and so the batch)
 * @param before the job's previous state, or null for a job the batch has not counted yet
 * @param after the job's new state
 */
public record JobChange(String tenant, JobState before, JobState after) {

  private static final String NONE = "-";

  /** {@code "BEFORE AFTER tenant"}, states by name ({@code -} for none): an internal topic's value. */
  public static Serde<JobChange> serde() {
    return Serdes.serdeFrom(
        (topic, change) -> change == null ? null : (name(change.before) + " " + name(change.after) + " "
            + change.tenant).getBytes(StandardCharsets.UTF_8),
        (topic, bytes) -> bytes == null ? null : parse(new String(bytes, StandardCharsets.UTF_8)));
  }

  private static JobChange parse(String text) {
    String[] parts = text.split(" ", 3);
    if (parts.length != 3) {
      throw new SerializationException("not a job change: " + text);
    }
    return new JobChange(parts[2], state(parts[0]), state(parts[1]));
  }

  private static String name(JobState state) {
    return state == null ? NONE : state.name();
  }

  private static JobState state(String name) {
    return name.equals(NONE) ? null : JobState.valueOf(name);
  }
}
