package io.flowreel.contract;

import io.flowreel.messages.RenderTask;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The job's trace context on every record of the job: a W3C {@code traceparent} header, as OpenTelemetry's Kafka
 * instrumentation reads it. The task also carries it in its body ({@code RenderTask.traceId}), since a task waits
 * in the scheduler's store between stages, where headers are not kept; the scheduler puts it back on the record
 * when it admits the task.
 */
public final class TraceHeaders {

  public static final String TRACEPARENT = "traceparent";

  private TraceHeaders() {}

  /** Headers carrying the task's trace context; none when it has none (tracing off). */
  public static Headers of(RenderTask task) {
    RecordHeaders headers = new RecordHeaders();
    if (task != null && task.getTraceId() != null) {
      headers.add(TRACEPARENT, task.getTraceId().getBytes(StandardCharsets.UTF_8));
    }
    return headers;
  }

  /** The trace context a record carries, if any. */
  public static Optional<String> read(Headers headers) {
    Header header = headers == null ? null : headers.lastHeader(TRACEPARENT);
    return header == null || header.value() == null ? Optional.empty()
        : Optional.of(new String(header.value(), StandardCharsets.UTF_8));
  }
}
