package io.flowreel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flowreel list}: the tenant's jobs (or batches), newest first. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List your jobs, or with --batches your batches, newest first.")
final class ListCommand extends GatewayCommand {

  @Option(names = "--batches", description = "List batches instead of jobs.")
  boolean batches;

  @Option(names = "--state", paramLabel = "STATE",
      description = "Jobs: queued, running, succeeded, failed or cancelled. Batches: open or done.")
  String state;

  @Option(names = "--batch", paramLabel = "BATCH", description = "Only the jobs of this batch, in submission order.")
  String batch;

  @Option(names = "--since", paramLabel = "INSTANT", description = "Submitted at or after, e.g. 2026-12-06T10:00:00Z.")
  String since;

  @Option(names = "--until", paramLabel = "INSTANT", description = "Submitted before.")
  String until;

  @Option(names = "--tenant", paramLabel = "TENANT", description = "Another tenant's (operators only).")
  String tenant;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most this many (default 50).")
  int limit;

  @Override
  int run(GatewayClient gateway, PrintWriter out) throws Exception {
    String kind = batches ? "batches" : "jobs";
    String path = "/v1/" + kind + "?" + String.join("&", query());
    int shown = 0;
    while (path != null && shown < limit) {
      JsonNode page = gateway.list(path);
      for (JsonNode item : page.path(kind)) {
        if (shown == limit) {
          break;
        }
        out.println(batches ? batchLine(item) : StatusCommand.summary(item));
        shown++;
      }
      path = page.path("next").isTextual() ? page.path("next").asText() : null;
    }
    if (shown == 0) {
      out.println("no " + kind);
    } else if (path != null) {
      out.println("... more with --limit " + limit * 2);
    }
    out.flush();
    return 0;
  }

  private List<String> query() {
    List<String> query = new ArrayList<>();
    add(query, "state", state);
    add(query, "batch", batches ? null : batch);
    add(query, "since", since);
    add(query, "until", until);
    add(query, "tenant", tenant);
    query.add("limit=" + Math.min(Math.max(limit, 1), 1000));
    return query;
  }

  private static void add(List<String> query, String name, String value) {
    if (value != null) {
      query.add(name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
    }
  }

  private static String batchLine(JsonNode batch) {
    return String.format("%s  %s  %d jobs: %d queued, %d running, %d succeeded, %d failed, %d cancelled",
        batch.path("id").asText(), batch.path("createdAt").asText("-"), batch.path("total").asInt(),
        batch.path("queued").asInt(), batch.path("running").asInt(), batch.path("succeeded").asInt(),
        batch.path("failed").asInt(), batch.path("cancelled").asInt());
  }
}
