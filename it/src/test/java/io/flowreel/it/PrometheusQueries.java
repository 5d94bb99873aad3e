package io.flowreel.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a Grafana dashboard asks of Prometheus, and whether the services' {@code /q/metrics} text answers it: the
 * series selectors of every query (metric name and its exact label matches) against the samples scraped.
 */
final class PrometheusQueries {

  /** A metric name with the labels a query pins to one value ({@code stage="denoise"}); regex matchers are left out. */
  record Selector(String metric, Map<String, String> labels) {
    boolean matches(Sample sample) {
      return sample.name().equals(metric)
          && labels.entrySet().stream().allMatch(l -> l.getValue().equals(sample.labels().get(l.getKey())));
    }

    @Override
    public String toString() {
      return metric + labels;
    }
  }

  record Sample(String name, Map<String, String> labels, double value) {}

  private static final Pattern RANGE = Pattern.compile("\\[[^\\]]*\\]");
  private static final Pattern GROUPING = Pattern.compile("\\b(by|without|on|ignoring)\\s*\\([^)]*\\)");
  private static final Pattern SELECTOR =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(\\{([^}]*)\\})?(\\s*\\()?");
  private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!=|!~|=)\\s*\"([^\"]*)\"");
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})?\\s+(\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private PrometheusQueries() {}

  /** Every query of every panel, rows' collapsed panels included. */
  static List<String> expressions(JsonNode dashboard) {
    List<String> all = new ArrayList<>();
    collect(dashboard.path("panels"), all);
    return all;
  }

  private static void collect(JsonNode panels, List<String> into) {
    for (JsonNode panel : panels) {
      panel.path("targets").forEach(t -> into.add(t.path("expr").asText()));
      collect(panel.path("panels"), into);
    }
  }

  /** The series a PromQL expression reads: every name that is neither a function, a keyword nor a label. */
  static List<Selector> selectors(String expr) {
    String stripped = GROUPING.matcher(RANGE.matcher(expr).replaceAll("")).replaceAll("");
    List<Selector> found = new ArrayList<>();
    Matcher m = SELECTOR.matcher(stripped);
    while (m.find()) {
      if (m.group(4) != null && m.group(2) == null) {
        continue; // sum(, rate(, histogram_quantile(: a function
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(3) != null) {
        Matcher matcher = MATCHER.matcher(m.group(3));
        while (matcher.find()) {
          if (matcher.group(2).equals("=")) {
            labels.put(matcher.group(1), matcher.group(3));
          }
        }
      }
      found.add(new Selector(m.group(1), labels));
    }
    return found;
  }

  /** The samples of Prometheus' text format (comments skipped). */
  static List<Sample> samples(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (line.startsWith("#") || !m.find()) {
        continue;
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(3) != null) {
        Matcher label = LABEL.matcher(m.group(3));
        while (label.find()) {
          labels.put(label.group(1), label.group(2));
        }
      }
      samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
    }
    return samples;
  }

  /** The sum of the samples {@code selector} picks out. */
  static double sum(List<Sample> samples, Selector selector) {
    return samples.stream().filter(selector::matches).mapToDouble(Sample::value).sum();
  }
}
