package io.flowreel.engine;

import io.flowreel.telemetry.Tracing;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Tensor;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import java.util.Map;

/**
 * A network whose every call is a span ({@code network <name>}) under the current one, the task's: what a stage's
 * time went to, call by call. A no-op span when tracing is off.
 */
public record TracedNetwork(Network network, String engine) implements Network {

  @Override
  public String name() {
    return network.name();
  }

  @Override
  public Map<String, FloatTensor> run(Map<String, ? extends Tensor> inputs) {
    Span span = Tracing.tracer().spanBuilder("network " + network.name())
        .setAttribute("flowreel.network", network.name()).setAttribute("flowreel.engine", engine).startSpan();
    try (Scope ignored = span.makeCurrent()) {
      return network.run(inputs);
    } catch (RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
      throw e;
    } finally {
      span.end();
    }
  }
}
