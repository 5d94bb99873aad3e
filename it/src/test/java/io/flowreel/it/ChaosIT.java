package io.flowreel.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.contract.ApiKeys;
import io.flowreel.infra.DataDirs;
import io.flowreel.infra.LocalStack;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEventType;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 18's chaos run at CI size ({@code tools/chaos.sh} runs 1,000 jobs): 100 small jobs on a farm
 * whose stages run simulated compute, submitted through the gateway in four keyed batches while
 * one service process is killed with -9 every 10 s (every kind in turn: the six stages, the tracker
 * and the gateway; the supervisor restarts it, as under {@code flowreel up}), the broker is stopped
 * and started again once, and S3 is frozen for 60 s. Every job must succeed, be published under
 * exactly one attempt, and none may be lost. {@code tools/chaos.sh} runs it at full size (1,000
 * jobs) and with real compute for a sample, through the {@code flowreel.chaos.*} properties below.
 */
class ChaosIT {

  // tools/chaos.sh sets these for the full-size run; the defaults are the CI run.
  private static final int JOBS = Integer.getInteger("flowreel.chaos.jobs", 100);
  private static final int BATCHES = Integer.getInteger("flowreel.chaos.batches", 4);
  /** How long each simulated stage holds a task, or "real" to render with the tiny pack. */
  private static final String HOLD = System.getProperty("flowreel.chaos.hold", "250ms");
  private static final Duration RUN_LIMIT = Duration.ofMinutes(Integer.getInteger("flowreel.chaos.minutes", 9));
  private static final String TENANT = "chaos";
  private static final Duration KILL_EVERY = Duration.ofSeconds(10);
  private static final Duration BROKER_RESTART_AT = Duration.ofSeconds(20);
  private static final Duration STORAGE_FROZEN_AT = Duration.ofSeconds(45);
  private static final Duration OUTAGE = Duration.ofSeconds(60);
  private static final Pattern PUBLISHED =
      Pattern.compile("outputs/([^/]+)/(.+)\\.attempt-(\\d+)\\.(simulated\\.json|json|mp4|png)");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static RenderFarm farm;
  private static GatewayClient api;
  private static GatewayClient submitter;

  @BeforeAll
  static void startFarm() throws Exception {
    Path dir = Path.of("target", "it-chaos").toAbsolutePath();
    DataDirs.delete(dir);
    farm = RenderFarm.start(dir, RenderFarm.oneOfEachStage(), true,
        HOLD.equals("real") ? Map.of() : Map.of("FLOWREEL_SIMULATED_COMPUTE_HOLD", HOLD));
    farm.supervise();
    String key = farm.credentials().issue(TENANT, ApiKeys.Role.STUDIO);
    api = new GatewayClient(farm.gatewayUrl(), key, Duration.ofSeconds(10));
    submitter = new GatewayClient(farm.gatewayUrl(), key, Duration.ofSeconds(30));
  }

  @AfterAll
  static void stopFarm() {
    if (farm != null) {
      farm.close();
    }
  }

  @Test
  void everyJobSucceedsOncePublishedWhileProcessesAreKilledTheBrokerRestartsAndStorageFreezes() throws Exception {
    long seed = System.nanoTime();
    List<String> kinds = new ArrayList<>(LocalStack.ALL_SERVICES);
    Collections.shuffle(kinds, new Random(seed));
    System.out.println("chaos: kill order " + kinds + " (seed " + seed + ")");
    long t0 = System.nanoTime();
    List<String> chaos = new CopyOnWriteArrayList<>();
    Set<String> killedKinds = ConcurrentHashMap.newKeySet();
    AtomicInteger kills = new AtomicInteger();
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(3);
    Map<String, String> batches = new LinkedHashMap<>();
    Map<String, JsonNode> jobs = new TreeMap<>();
    boolean outageOver;
    try {
      scheduler.scheduleAtFixedRate(() -> {
        String kind = kinds.get(kills.getAndIncrement() % kinds.size());
        try {
          farm.services().stream().filter(s -> s.service().equals(kind) && s.isAlive()).findFirst().ifPresent(s -> {
            s.kill();
            killedKinds.add(kind);
            chaos.add(at(t0) + " kill -9 " + s.instanceId());
          });
        } catch (RuntimeException e) {
          chaos.add(at(t0) + " could not kill a " + kind + ": " + e); // a thrown exception would end the schedule
        }
      }, 5, KILL_EVERY.toSeconds(), TimeUnit.SECONDS);
      scheduler.schedule(() -> {
        chaos.add(at(t0) + " broker stopping");
        farm.restartBroker();
        chaos.add(at(t0) + " broker started again");
      }, BROKER_RESTART_AT.toSeconds(), TimeUnit.SECONDS);
      var thawed = scheduler.schedule(() -> {
        farm.freezeStorage(true);
        chaos.add(at(t0) + " S3 frozen");
        Thread.sleep(OUTAGE.toMillis());
        farm.freezeStorage(false);
        chaos.add(at(t0) + " S3 thawed");
        return null;
      }, STORAGE_FROZEN_AT.toSeconds(), TimeUnit.SECONDS);

      // Submitted as a studio's pipeline would: each batch under its own key, repeated until answered.
      for (int b = 1; b <= BATCHES; b++) {
        batches.put(submit(b, JOBS / BATCHES, t0), "chaos-" + b);
        Thread.sleep(10_000);
      }
      while (System.nanoTime() - t0 < RUN_LIMIT.toNanos()) {
        jobs.putAll(poll(batches.keySet()));
        boolean allDone = jobs.size() == JOBS && jobs.values().stream().allMatch(j -> terminal(j.path("state").asText()));
        if (allDone && thawed.isDone() && killedKinds.size() == kinds.size()) {
          break;
        }
        Thread.sleep(2000);
      }
      outageOver = thawed.isDone();
    } finally {
      scheduler.shutdownNow();
      scheduler.awaitTermination(30, TimeUnit.SECONDS);
      farm.freezeStorage(false); // never leave it frozen for the servers' shutdown
    }
    System.out.println("chaos: " + String.join("; ", chaos));

    Map<String, Set<Integer>> publishedAttempts = new TreeMap<>();
    for (String key : farm.keys(RenderFarm.OUTPUT_BUCKET, "outputs/")) {
      Matcher m = PUBLISHED.matcher(key);
      assertThat(m.matches()).as("published object " + key).isTrue();
      assertThat(m.group(4).equals("simulated.json")).as(key + " in a " + HOLD + " run").isEqualTo(!HOLD.equals("real"));
      publishedAttempts.computeIfAbsent(m.group(2), k -> new java.util.TreeSet<>()).add(Integer.parseInt(m.group(3)));
    }
    Map<String, Long> states = new TreeMap<>();
    jobs.values().forEach(j -> states.merge(j.path("state").asText(), 1L, Long::sum));
    long publishedTwice = publishedAttempts.values().stream().filter(a -> a.size() > 1).count();
    long publishDeliveries = jobs.keySet().stream()
        .mapToLong(id -> farm.events(id).stream().filter(e -> e.getStage() == Stage.PUBLISH
            && e.getType() == StageEventType.SUCCEEDED).count()).sum();
    String report = String.format("{\"compute\": \"%s\", \"submitted\": %d, \"succeeded\": %d, \"failed\": %d, "
            + "\"publishedMoreThanOnce\": %d, \"lost\": %d, \"states\": %s, \"published\": %d, "
            + "\"publishSucceededEvents\": %d, \"kills\": %d, \"brokerRestarts\": 1, \"storageOutageSeconds\": %d, "
            + "\"seconds\": %.0f}",
        HOLD.equals("real") ? "real" : "simulated " + HOLD, JOBS, states.getOrDefault("SUCCEEDED", 0L),
        states.getOrDefault("FAILED", 0L), publishedTwice, JOBS - jobs.size(), JSON.writeValueAsString(states),
        publishedAttempts.size(), publishDeliveries, kills.get(), OUTAGE.toSeconds(), (System.nanoTime() - t0) / 1e9);
    System.out.println("chaos report: " + report);
    Files.writeString(Path.of("target", "chaos-report.json"), report + "\n");

    assertThat(outageOver).as("the run lasted past the storage outage").isTrue();
    assertThat(killedKinds).as("every kind of service was killed at least once").hasSameElementsAs(kinds);
    assertThat(jobs).as("every submitted job is known (none lost)").hasSize(JOBS);
    assertThat(jobs.values().stream().filter(j -> !j.path("state").asText().equals("SUCCEEDED"))
        .map(j -> j.path("id").asText() + " " + j.path("state").asText() + " " + j.path("error").asText()))
        .as("jobs that did not succeed").isEmpty();
    assertThat(publishedAttempts).as("every job published").hasSize(JOBS);
    assertThat(publishedAttempts.values()).as("each job published under exactly one attempt")
        .allSatisfy(a -> assertThat(a).hasSize(1));
    for (String batch : batches.keySet()) {
      JsonNode status = api.getJson("/v1/batches/" + batch);
      assertThat(status.path("succeeded").asLong()).as("batch " + batch + " counts " + status).isEqualTo(JOBS / BATCHES);
      assertThat(status.path("done").asLong()).as("batch " + batch + " counts " + status).isEqualTo(JOBS / BATCHES);
    }
  }

  /** POSTs batch {@code n} with its Idempotency-Key until the gateway answers 2xx; returns the batch id. */
  private static String submit(int n, int count, long t0) throws Exception {
    StringBuilder body = new StringBuilder("{\"defaults\": {\"width\": 64, \"height\": 64, \"frames\": 5, \"steps\": 2}, "
        + "\"jobs\": [");
    for (int i = 0; i < count; i++) {
      body.append(i == 0 ? "" : ", ").append("{\"prompt\": \"a red ball ").append(n).append('-').append(i)
          .append("\", \"seed\": ").append(i).append('}');
    }
    body.append("]}");
    long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> response = submitter.post("/v1/batches", body.toString(), "chaos-" + n);
        if (response.statusCode() / 100 == 2) {
          String id = GatewayClient.json(response).path("batch").path("id").asText();
          System.out.println("chaos: " + at(t0) + " batch " + n + " answered " + response.statusCode() + ": " + id);
          return id;
        }
        last = response.statusCode() + " " + response.body();
      } catch (java.io.IOException e) {
        last = e.toString();
      }
      Thread.sleep(1000);
    }
    throw new AssertionError("batch " + n + " was never accepted; last answer: " + last);
  }

  /** The jobs of these batches the gateway shows now; none while it is down. */
  private static Map<String, JsonNode> poll(Iterable<String> batchIds) {
    Map<String, JsonNode> seen = new LinkedHashMap<>();
    for (String batch : batchIds) {
      try {
        api.getJson("/v1/batches/" + batch + "/jobs?limit=" + JOBS / BATCHES).path("jobs").forEach(j -> seen.put(j.path("id").asText(), j));
      } catch (Exception e) {
        // the gateway or the tracker is being restarted: ask again on the next round
      }
    }
    return seen;
  }

  private static boolean terminal(String state) {
    return state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("CANCELLED");
  }

  private static String at(long t0) {
    return String.format("t=%.0fs", (System.nanoTime() - t0) / 1e9);
  }
}
