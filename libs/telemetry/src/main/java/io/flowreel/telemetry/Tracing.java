package io.flowreel.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Traces, one per job: the gateway starts it when the job is submitted, and its W3C {@code traceparent} travels in
 * the task ({@code RenderTask.traceId}) through the scheduler's store and every stage, which open their spans under
 * it. Libraries call {@link #tracer()}; a service calls {@link #start} once. Off (no-op spans, nothing sent) unless
 * the standard {@code OTEL_EXPORTER_OTLP_ENDPOINT} or {@code OTEL_TRACES_EXPORTER} is set; every other
 * {@code OTEL_*} setting of the OpenTelemetry SDK applies (sampler, headers, batch delay...).
 */
public final class Tracing {

  private static final String INSTRUMENTATION = "io.flowreel";
  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final TextMapGetter<Map<String, String>> MAP = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

  /** Ours rather than GlobalOpenTelemetry, which refuses to be set once anything has read it. */
  private static volatile OpenTelemetry current = OpenTelemetry.noop();

  private Tracing() {}

  /**
   * Sets up the SDK for {@code service} (the default {@code service.name}) from the environment and makes it the
   * global one; returns what to close at shutdown (it sends what is still buffered), or a no-op when tracing is off.
   */
  public static AutoCloseable start(String service) {
    return start(service, System::getenv);
  }

  static AutoCloseable start(String service, Function<String, String> env) {
    if (blank(env.apply("OTEL_EXPORTER_OTLP_ENDPOINT")) && blank(env.apply("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        && blank(env.apply("OTEL_TRACES_EXPORTER"))) {
      return () -> { };
    }
    OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> Map.of(
            "otel.service.name", service,
            // Traces only: the metrics are Micrometer's on /q/metrics, the logs the services' own.
            "otel.metrics.exporter", "none",
            "otel.logs.exporter", "none",
            "otel.exporter.otlp.protocol", "http/protobuf"))
        .build()
        .getOpenTelemetrySdk();
    current = sdk;
    return () -> {
      current = OpenTelemetry.noop();
      sdk.close();
    };
  }

  public static Tracer tracer() {
    return current.getTracer(INSTRUMENTATION);
  }

  /** The W3C {@code traceparent} of {@code span}, or null when it is not recorded (tracing off). */
  public static String traceparent(Span span) {
    if (!span.getSpanContext().isValid()) {
      return null;
    }
    Map<String, String> carrier = new HashMap<>();
    W3C.inject(Context.root().with(span), carrier, Map::put);
    return carrier.get("traceparent");
  }

  /** The context a {@code traceparent} names (the root context if it is null or malformed), to open spans under. */
  public static Context parent(String traceparent) {
    if (traceparent == null) {
      return Context.root();
    }
    return W3C.extract(Context.root(), Map.of("traceparent", traceparent), MAP);
  }

  private static boolean blank(String value) {
    return value == null || value.isBlank();
  }
}
