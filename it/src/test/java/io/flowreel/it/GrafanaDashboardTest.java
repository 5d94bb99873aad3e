package io.flowreel.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.infra.FlowreelHome;
import io.flowreel.it.PrometheusQueries.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's queries as {@link PrometheusQueries} reads them. Whether the services export what they name is
 * {@code GatewayIT}'s part, after a real render.
 */
class GrafanaDashboardTest {

  static final Path DASHBOARD = FlowreelHome.locate().resolve("infra").resolve("grafana")
      .resolve("flowreel-dashboard.json");

  @Test
  void selectorsAreTheSeriesAQueryReadsWithTheLabelsItPins() {
    assertThat(PrometheusQueries.selectors("histogram_quantile(0.95, sum by (stage, le) "
        + "(rate(flowreel_stage_task_duration_seconds_bucket{outcome=\"succeeded\"}[5m])))"))
        .containsExactly(new Selector("flowreel_stage_task_duration_seconds_bucket", Map.of("outcome", "succeeded")));
    assertThat(PrometheusQueries.selectors("sum by (uri, status) (rate(http_server_requests_seconds_count"
        + "{uri=~\"/v1.*\", method=\"GET\"}[5m])) / sum(flowreel_tracker_lag_events)"))
        .containsExactly(new Selector("http_server_requests_seconds_count", Map.of("method", "GET")),
            new Selector("flowreel_tracker_lag_events", Map.of()));
  }

  @Test
  void samplesAreReadFromPrometheusTextWithTheirLabels() {
    List<PrometheusQueries.Sample> samples = PrometheusQueries.samples("""
        # HELP flowreel_stage_tasks_total tasks by how they ended at this worker
        # TYPE flowreel_stage_tasks_total counter
        flowreel_stage_tasks_total{outcome="succeeded",stage="denoise"} 3.0
        flowreel_stage_tasks_total{outcome="retried",stage="denoise"} 1.0
        http_server_requests_seconds_count{uri="/v1/jobs/{id}",error="say \\"no\\""} 2.0
        flowreel_tracker_lag_events 0.0
        """);
    assertThat(samples).hasSize(4);
    assertThat(PrometheusQueries.sum(samples, new Selector("flowreel_stage_tasks_total", Map.of("stage", "denoise"))))
        .isEqualTo(4.0);
    assertThat(PrometheusQueries.sum(samples, new Selector("flowreel_stage_tasks_total",
        Map.of("outcome", "succeeded")))).isEqualTo(3.0);
    assertThat(samples.get(2).labels()).containsEntry("uri", "/v1/jobs/{id}");
    assertThat(samples.get(3).labels()).isEmpty();
  }

  @Test
  void everyQueryOfTheDashboardReadsTheFarmsOwnMetrics() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
    List<String> queries = PrometheusQueries.expressions(dashboard);
    assertThat(queries).hasSizeGreaterThanOrEqualTo(15);
    for (String query : queries) {
      assertThat(PrometheusQueries.selectors(query)).as(query).isNotEmpty()
          .allSatisfy(s -> assertThat(s.metric()).as(query).matches("flowreel_.*|http_server_requests_.*"));
    }
    assertThat(dashboard.path("uid").asText()).isEqualTo("flowreel-farm");
  }
}
