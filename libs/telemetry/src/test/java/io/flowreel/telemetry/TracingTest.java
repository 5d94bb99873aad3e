package io.flowreel.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TracingTest {

  @Test
  void offUnlessAnExporterIsNamedAndThenATraceparentCarriesTheTrace() throws Exception {
    try (AutoCloseable off = Tracing.start("test", Map.<String, String>of()::get)) {
      Span span = Tracing.tracer().spanBuilder("unrecorded").startSpan();
      assertThat(Tracing.traceparent(span)).as("no exporter: nothing recorded, nothing to carry").isNull();
      span.end();
    }
    try (AutoCloseable on = Tracing.start("test", Map.of("OTEL_TRACES_EXPORTER", "none")::get)) {
      Span job = Tracing.tracer().spanBuilder("job").setNoParent().startSpan();
      String traceparent = Tracing.traceparent(job);
      assertThat(traceparent).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
      Span stage = Tracing.tracer().spanBuilder("stage").setParent(Tracing.parent(traceparent)).startSpan();
      assertThat(stage.getSpanContext().getTraceId()).isEqualTo(job.getSpanContext().getTraceId());
      assertThat(Span.fromContext(Tracing.parent(traceparent)).getSpanContext().getSpanId())
          .isEqualTo(job.getSpanContext().getSpanId());
      stage.end();
      job.end();
    }
    assertThat(Span.fromContext(Tracing.parent("not a traceparent")).getSpanContext().isValid()).isFalse();
    assertThat(Span.fromContext(Tracing.parent(null)).getSpanContext().isValid()).isFalse();
  }
}
