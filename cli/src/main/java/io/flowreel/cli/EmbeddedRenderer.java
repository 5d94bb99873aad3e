package io.flowreel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowreel.infra.DataDirs;
import io.flowreel.infra.LocalStack;
import io.flowreel.infra.ServiceProcess;
import io.flowreel.pack.RenderPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The embedded default: the whole farm started for this run ({@link LocalStack}: a real Kafka
 * broker, an S3 server, the six stage services, the tracker and the gateway, each its own
 * process), the jobs submitted through the gateway's API, followed through its event stream, the
 * clips downloaded through their links, and everything stopped and deleted at the end.
 */
final class EmbeddedRenderer {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path home;
  private final Path stateDir;
  private final PrintWriter err;

  EmbeddedRenderer(Path home, Path stateDir, PrintWriter err) {
    this.home = home;
    this.stateDir = stateDir;
    this.err = err;
  }

  /**
   * Renders every job with the pack in {@code packDir} into {@code out}; returns the number of jobs
   * that failed. {@code engineEnv} goes to every service: the engine the stages run and, for
   * TensorRT, the shape buckets the gateway admits.
   */
  int render(List<RenderPlan> jobs, Path packDir, String packName, Path out, ProgressDisplay progress,
      BooleanSupplier interrupted, Map<String, String> engineEnv) throws Exception {
    Path run = Files.createDirectories(stateDir).resolve("run-" + ProcessHandle.current().pid());
    long t0 = System.nanoTime();
    err.printf("flowreel: starting Kafka broker, S3 server and %d services...%n", LocalStack.ALL_SERVICES.size());
    err.flush();
    try (LocalStack stack = LocalStack.startServers(home, run)) {
      err.printf("flowreel: %.1f s: Kafka broker and S3 server ready%n", (System.nanoTime() - t0) / 1e9);
      err.flush();
      stack.startServices(plan(packDir, packName, 0, engineEnv), line -> {
        err.printf("flowreel: %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, line);
        err.flush();
      });
      err.printf("flowreel: stack up in %.1f s (gateway %s)%n", (System.nanoTime() - t0) / 1e9, stack.gatewayUrl());
      err.flush();
      GatewayClient gateway = new GatewayClient(stack.gatewayUrl(), stack.credentials().localKey());
      JsonNode submitted = gateway.submit(JSON.writeValueAsBytes(batch(jobs, packName)), "application/json", null);
      Map<String, String> names = new LinkedHashMap<>();
      JsonNode ids = submitted.path("jobIds");
      for (int i = 0; i < jobs.size(); i++) {
        names.put(ids.get(i).asText(), jobs.get(i).jobId());
      }
      return new BatchFollower(gateway, progress).follow(submitted.path("batch").path("id").asText(), names, out,
          interrupted);
    } finally {
      DataDirs.delete(run);
    }
  }

  /**
   * Every service once; the stages and the gateway use the pack in {@code packDir}. Progress every
   * 250 ms instead of every second: someone is watching the bars.
   */
  static LocalStack.Plan plan(Path packDir, String packName, int gatewayPort, Map<String, String> extraEnv) {
    LocalStack.Plan all = LocalStack.Plan.everything(gatewayPort);
    Map<String, String> env = new LinkedHashMap<>(extraEnv);
    env.put("FLOWREEL_PACK_PATH", packDir.toAbsolutePath().toString());
    env.put("FLOWREEL_PACKS_DIR", packDir.toAbsolutePath().getParent().toString());
    env.put("FLOWREEL_PACKS_DEFAULT_PACK", packName);
    // The stages run this pack only; the gateway must not accept jobs for the others in the folder.
    env.put("FLOWREEL_PACKS_SERVED", packName);
    env.put("FLOWREEL_PROGRESS_INTERVAL", "250ms");
    return new LocalStack.Plan(all.instances(), gatewayPort, env, ServiceProcess.SMALL_JVM, Duration.ofMinutes(5));
  }

  /**
   * The jobs as the gateway's batch JSON: each job's settings under their own names (the API takes
   * exactly those fields), unset ones left out so the pack decides them. Ids are the gateway's; the
   * CLI keeps its names for the files.
   */
  private static ObjectNode batch(List<RenderPlan> jobs, String packName) {
    ObjectNode batch = JSON.createObjectNode();
    ArrayNode list = batch.putArray("jobs");
    for (RenderPlan plan : jobs) {
      ObjectNode job = JSON.valueToTree(plan.settings());
      job.put("pack", packName);
      List<String> unset = new ArrayList<>();
      job.fieldNames().forEachRemaining(name -> {
        if (job.get(name).isNull()) {
          unset.add(name);
        }
      });
      job.remove(unset);
      list.add(job);
    }
    return batch;
  }

}
