package io.flowreel.it;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * A local OTLP/HTTP trace receiver, as a collector would be: accepts {@code POST /v1/traces} (protobuf) and keeps
 * every span it is sent, with the service that sent it.
 */
final class OtlpReceiver implements AutoCloseable {

  /** One span as received: ids in hex, attributes as strings. */
  record ReceivedSpan(String service, String traceId, String spanId, String parentSpanId, String name,
      long startNanos, long endNanos, Map<String, String> attributes) {}

  private final HttpServer server;
  private final List<ReceivedSpan> spans = new ArrayList<>();

  private OtlpReceiver(HttpServer server) {
    this.server = server;
  }

  static OtlpReceiver start() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    OtlpReceiver receiver = new OtlpReceiver(server);
    server.createContext("/v1/traces", exchange -> {
      try (InputStream body = "gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))
          ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
        receiver.add(ExportTraceServiceRequest.parseFrom(body));
        byte[] ok = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
        exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
        exchange.sendResponseHeaders(200, ok.length);
        exchange.getResponseBody().write(ok);
      } catch (Exception e) {
        exchange.sendResponseHeaders(400, -1);
      } finally {
        exchange.close();
      }
    });
    server.start();
    return receiver;
  }

  /** What to give the services: OTEL_EXPORTER_OTLP_ENDPOINT. */
  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private synchronized void add(ExportTraceServiceRequest request) {
    HexFormat hex = HexFormat.of();
    for (ResourceSpans resource : request.getResourceSpansList()) {
      String service = text(resource.getResource().getAttributesList()).getOrDefault("service.name", "?");
      for (ScopeSpans scope : resource.getScopeSpansList()) {
        for (var span : scope.getSpansList()) {
          spans.add(new ReceivedSpan(service, hex.formatHex(span.getTraceId().toByteArray()),
              hex.formatHex(span.getSpanId().toByteArray()), hex.formatHex(span.getParentSpanId().toByteArray()),
              span.getName(), span.getStartTimeUnixNano(), span.getEndTimeUnixNano(),
              text(span.getAttributesList())));
        }
      }
    }
  }

  /** Every span received so far. */
  synchronized List<ReceivedSpan> spans() {
    return List.copyOf(spans);
  }

  private static Map<String, String> text(List<KeyValue> attributes) {
    Map<String, String> all = new LinkedHashMap<>();
    for (KeyValue kv : attributes) {
      AnyValue v = kv.getValue();
      all.put(kv.getKey(), switch (v.getValueCase()) {
        case STRING_VALUE -> v.getStringValue();
        case INT_VALUE -> Long.toString(v.getIntValue());
        case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
        case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
        default -> v.toString();
      });
    }
    return all;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
