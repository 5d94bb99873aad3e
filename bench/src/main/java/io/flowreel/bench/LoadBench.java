package io.flowreel.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.contract.Ids;
import io.flowreel.contract.Topics;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.tracker.BatchStatus;
import io.flowreel.tracker.JobStatus;
import io.flowreel.tracker.TrackerTopology;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Issue 19 item 1: the load benchmark, against the real farm ({@code flowreel up}: broker, S3 server and every
 * service its own process) whose stages run on simulated compute with a long hold, so that submitted jobs stay
 * queued. {@code tools/bench.sh load} starts the farm, runs this against it and stops it. Prints one JSON line per
 * measurement:
 *
 * <ol>
 *   <li>{@code submit}: N jobs through {@code POST /v1/batches} in batches of 1,000 from a few concurrent clients;
 *   <li>{@code tracker-live}: the tracker's consumer group on {@code flowreel.events} against the topic's end, sampled
 *       while the jobs are submitted and until the tracker's API shows every job;
 *   <li>{@code memory}: resident memory (VmRSS) of every process of the farm at 10,000 and at N queued jobs;
 *   <li>{@code live_heap}: right after, each JVM's heap in use after a full GC it is made to run (the live set):
 *       whether resident memory grows with what a process holds or with the heap its collector has claimed;
 *   <li>{@code query}: p50/p99 of GET job, GET batch and a page of 100 jobs once all N are known;
 *   <li>{@code cancel}: every batch cancelled, until the API shows every job finished;
 *   <li>{@code status-lag}: from a stage event's time to the tracker's query API showing it, all run long;
 *   <li>{@code tracker-replay}: the recorded event stream folded again by {@link TrackerTopology}, once by a fresh
 *       Kafka Streams app against the real broker (exactly once, as the tracker runs) and once by a
 *       {@link TopologyTestDriver} (the topology alone, no broker).
 * </ol>
 *
 * <pre>
 * LoadBench GATEWAY_URL BOOTSTRAP UP_PID [--jobs N] [--batch 1000] [--clients 4] [--queries 1000]
 *     [--memory-at 10000] [--catch-up-timeout-s 600] [--cancel-timeout-s 1800] [--no-replay]
 * </pre>
 *
 * Every wait has a timeout; on a timeout the run fails with what it saw. It stops nothing it did not start:
 * the farm belongs to the caller (tools/bench.sh stops it).
 */
public final class LoadBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** The local key {@code flowreel up} wrote ({@code FLOWREEL_API_KEY}, set by tools/bench.sh). */
  private static final String API_KEY = System.getenv("FLOWREEL_API_KEY");
  private static final String TRACKER_GROUP = "flowreel-tracker";
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(60);

  private final String gateway;
  private final String bootstrap;
  private final long upPid;
  private final int jobs;
  private final int batchSize;
  private final int clients;
  private final int queries;
  private final int memoryAt;
  private final Duration catchUpTimeout;
  private final Duration cancelTimeout;
  private final boolean replay;
  private final String runId = Long.toString(System.currentTimeMillis(), 36);
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private String trackerUrl;

  private volatile String phase = "start";
  private final Map<String, ConcurrentLinkedQueue<Double>> lags = new ConcurrentHashMap<>();
  private final AtomicInteger lagTimeouts = new AtomicInteger();
  private final AtomicInteger lagSkipped = new AtomicInteger();
  private final List<long[]> offsetSamples = new ArrayList<>(); // {nanoTime, end, committed}
  private final Map<StageEventType, AtomicLong> eventCounts = new ConcurrentHashMap<>();
  private final AtomicLong eventsSeen = new AtomicLong();
  private final AtomicLong lastCancelledEventMillis = new AtomicLong();
  private volatile boolean stopWatching;

  private LoadBench(String[] args) {
    gateway = args[0].replaceAll("/$", "");
    bootstrap = args[1];
    upPid = Long.parseLong(args[2]);
    Map<String, String> opts = new HashMap<>();
    for (int i = 3; i < args.length; i++) {
      if (args[i].equals("--no-replay")) {
        opts.put("no-replay", "true");
      } else {
        opts.put(args[i].replaceFirst("^--", ""), args[++i]);
      }
    }
    jobs = Integer.parseInt(opts.getOrDefault("jobs", "100000"));
    batchSize = Integer.parseInt(opts.getOrDefault("batch", "1000"));
    clients = Integer.parseInt(opts.getOrDefault("clients", "4"));
    queries = Integer.parseInt(opts.getOrDefault("queries", "1000"));
    memoryAt = Math.min(jobs, Integer.parseInt(opts.getOrDefault("memory-at", "10000")));
    catchUpTimeout = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("catch-up-timeout-s", "600")));
    cancelTimeout = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("cancel-timeout-s", "1800")));
    replay = !opts.containsKey("no-replay");
    if (jobs % batchSize != 0 || memoryAt % batchSize != 0) {
      throw new IllegalArgumentException("--jobs and --memory-at must be multiples of --batch");
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: LoadBench GATEWAY_URL BOOTSTRAP UP_PID [--jobs N] [--batch 1000] [--clients 4] "
          + "[--queries 1000] [--memory-at 10000] [--catch-up-timeout-s 600] [--cancel-timeout-s 1800] [--no-replay]");
      System.exit(2);
    }
    new LoadBench(args).run();
    System.exit(0); // the Kafka and HTTP clients' threads must not keep the JVM alive
  }

  private void run() throws Exception {
    List<Proc> farm = farm();
    Proc tracker = farm.stream().filter(p -> p.name().startsWith("tracker")).findFirst()
        .orElseThrow(() -> new IllegalStateException("no tracker among the children of " + upPid + ": " + farm));
    trackerUrl = "http://127.0.0.1:" + tracker.port();
    Map<String, Object> farmLine = line("farm");
    farmLine.put("jobs", jobs);
    farmLine.put("batch", batchSize);
    farmLine.put("clients", clients);
    farmLine.put("processes", farm.stream().map(Proc::name).toList());
    farmLine.put("stage_engine", requireSimulated(farm));
    print(farmLine);

    int batches = jobs / batchSize;
    String[] batchIds = new String[batches];
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      List<TopicPartition> eventPartitions = partitions(admin, Topics.EVENTS.name());
      Thread watcher = daemon("event-watcher", this::watchEvents);
      ExecutorService probes = Executors.newFixedThreadPool(8);
      probeQueue = probes;
      watcher.start();
      Thread sampler = daemon("offset-sampler", () -> sampleOffsets(admin, eventPartitions));
      sampler.start();
      try {
        // 1. Submit: the first memoryAt jobs, memory, the rest.
        phase = "submit";
        List<Double> latencies = new ArrayList<>();
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        AtomicInteger retries = new AtomicInteger();
        long submitStart = System.nanoTime();
        double firstSeconds = submit(0, memoryAt / batchSize, batchIds, latencies, statuses, retries);
        long firstKnownNanos = awaitKnown(batchIds, 0, memoryAt / batchSize, catchUpTimeout);
        double firstCatchUp = (firstKnownNanos - submitStart) / 1e9 - firstSeconds;
        phase = "idle";
        Thread.sleep(2000);
        Map<String, Double> rssFirst = rss();
        Map<String, Double> heapFirst = liveHeap();
        phase = "submit";
        long secondStart = System.nanoTime();
        double secondSeconds = submit(memoryAt / batchSize, batches, batchIds, latencies, statuses, retries);
        long lastAnswered = secondStart + (long) (secondSeconds * 1e9);
        long allKnown = awaitKnown(batchIds, 0, batches, catchUpTimeout);
        phase = "idle";
        double submitSeconds = firstSeconds + secondSeconds;
        double[] lat = latencies.stream().mapToDouble(Double::doubleValue).toArray();
        Map<String, Object> submit = line("submit");
        submit.put("jobs", jobs);
        submit.put("requests", batches);
        submit.put("clients", clients);
        submit.put("seconds", round(submitSeconds));
        submit.put("jobs_per_s", round(jobs / submitSeconds));
        submit.put("target_jobs_per_s", 2000);
        submit.put("first_part_jobs_per_s", round(memoryAt / firstSeconds));
        submit.put("rest_jobs_per_s", batches * batchSize == memoryAt ? null
            : round((jobs - memoryAt) / secondSeconds));
        submit.put("request_ms_p50", round(Stats.percentile(lat, 50)));
        submit.put("request_ms_p99", round(Stats.percentile(lat, 99)));
        submit.put("request_ms_max", round(Stats.percentile(lat, 100)));
        submit.put("statuses", new java.util.TreeMap<>(statuses));
        submit.put("retries", retries.get());
        print(submit);

        Map<String, Object> live = liveFold(submitStart, allKnown);
        live.put("first_part_known_after_last_answer_s", round(firstCatchUp));
        live.put("all_known_after_last_answer_s", round((allKnown - lastAnswered) / 1e9));
        print(live);

        Thread.sleep(2000);
        Map<String, Double> rssAll = rss();
        Map<String, Double> heapAll = liveHeap();
        print(memory(rssFirst, rssAll));
        Map<String, Object> heap = memory(heapFirst, heapAll);
        heap.put("measurement", "live_heap");
        heap.put("what", "Java heap reachable after a full GC (the total of jcmd GC.class_histogram), MiB: the live set, "
            + "measured after the resident memory of the same point");
        print(heap);

        // 2. Queries once every job is known.
        queryLatencies(batchIds);

        // 3. Cancel every batch.
        phase = "cancel";
        print(cancel(batchIds));
        phase = "idle";
      } finally {
        // Let the watcher reach the end of the topic, so it has counted every event, then stop it.
        long[] end = {0};
        awaitQuietly(Duration.ofSeconds(60), () -> {
          try {
            end[0] = endOffsets(admin, eventPartitions, IsolationLevel.READ_UNCOMMITTED).values().stream()
                .mapToLong(Long::longValue).sum();
          } catch (Exception e) {
            return false;
          }
          return watcherPosition >= end[0];
        });
        stopWatching = true;
        stopSampling = true;
        watcher.join(10_000);
        sampler.join(10_000);
        probes.shutdown();
        probes.awaitTermination(70, TimeUnit.SECONDS);
        probes.shutdownNow();
      }
      print(statusLag());

      // 4. The recorded stream folded again.
      if (replay) {
        print(replayIntoStreams(admin, eventPartitions, batchIds));
        print(replayIntoTestDriver(admin, batchIds));
      }
    }
  }

  // ---------------------------------------------------------------- the farm's processes

  record Proc(String name, long pid, int port) {}

  /** The {@code up} process and every child it started: broker, S3 server, services (named by their worker id). */
  private List<Proc> farm() throws IOException {
    ProcessHandle up = ProcessHandle.of(upPid).orElseThrow(() -> new IllegalStateException("no process " + upPid));
    List<Proc> procs = new ArrayList<>(List.of(new Proc("flowreel-up", upPid, 0)));
    for (ProcessHandle child : up.children().toList()) {
      long pid = child.pid();
      String cmd;
      Map<String, String> env = new HashMap<>();
      try {
        cmd = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
        for (String kv : Files.readString(Path.of("/proc", Long.toString(pid), "environ")).split("\0")) {
          int eq = kv.indexOf('=');
          if (eq > 0) {
            env.put(kv.substring(0, eq), kv.substring(eq + 1));
          }
        }
      } catch (IOException e) {
        continue; // it ended meanwhile (a storage-format tool, say)
      }
      String name;
      if (env.containsKey("FLOWREEL_WORKER_ID")) {
        name = env.get("FLOWREEL_WORKER_ID");
      } else if (cmd.contains("kafka.Kafka")) {
        name = "kafka-broker";
      } else if (cmd.contains("s3proxy")) {
        name = "s3-server";
      } else {
        continue;
      }
      procs.add(new Proc(name, pid, Integer.parseInt(env.getOrDefault("FLOWREEL_HTTP_PORT", "0"))));
    }
    procs.sort(Comparator.comparing(Proc::name));
    return procs;
  }

  /** Every stage must say it runs simulated compute (its readiness check's engine), or the run means nothing. */
  private String requireSimulated(List<Proc> farm) throws Exception {
    String hold = null;
    for (Proc p : farm) {
      if (p.port() == 0 || p.name().startsWith("tracker") || p.name().startsWith("gateway")
          || p.name().startsWith("scheduler")) { // no compute of their own
        continue;
      }
      JsonNode health = JSON.readTree(get("http://127.0.0.1:" + p.port() + "/q/health/ready").body());
      JsonNode engine = null;
      for (JsonNode check : health.path("checks")) {
        if (check.path("name").asText().equals("engine")) {
          engine = check.path("data");
        }
      }
      if (engine == null || !engine.path("engine").asText().equals("simulated")) {
        throw new IllegalStateException(p.name() + " does not run simulated compute: " + health
            + "; start the farm with FLOWREEL_SIMULATED_COMPUTE_HOLD set (tools/bench.sh load does)");
      }
      hold = "simulated, hold " + engine.path("holdMillis").asText() + " ms, artifact "
          + engine.path("artifactBytes").asText() + " B";
    }
    return hold;
  }

  /** VmRSS of every process of the farm, MiB by name. */
  private Map<String, Double> rss() throws IOException {
    Map<String, Double> rss = new LinkedHashMap<>();
    for (Proc p : farm()) {
      for (String l : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
        if (l.startsWith("VmRSS:")) {
          rss.put(p.name(), round(Long.parseLong(l.replaceAll("\\D", "")) / 1024.0));
        }
      }
    }
    return rss;
  }

  /** The last line of jcmd's GC.class_histogram: "Total   377363   19522160" (instances, bytes). */
  private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");

  /**
   * The live set, MiB by process: whether a process's resident memory grows with what it holds or with the heap
   * its collector has claimed. GC.class_histogram runs a full GC and counts only what it kept; GC.heap_info after
   * GC.run also counted what a busy process allocated between the two calls (the scheduler's 20 MiB read 41-48).
   */
  private Map<String, Double> liveHeap() throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Map<String, Double> heap = new LinkedHashMap<>();
    for (Proc p : farm()) {
      Matcher total = HISTOGRAM_TOTAL.matcher(run(jcmd.toString(), Long.toString(p.pid()), "GC.class_histogram"));
      if (total.find()) {
        heap.put(p.name(), round(Long.parseLong(total.group(1)) / (1024.0 * 1024.0)));
      }
    }
    return heap;
  }

  private static String run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    return out;
  }

  private Map<String, Object> memory(Map<String, Double> first, Map<String, Double> all) {
    Map<String, Object> m = line("memory");
    m.put("queued_first", memoryAt);
    m.put("queued_then", jobs);
    Map<String, Object> per = new LinkedHashMap<>();
    double sumFirst = 0;
    double sumAll = 0;
    double worst = Double.NEGATIVE_INFINITY;
    String worstName = null;
    for (Map.Entry<String, Double> e : all.entrySet()) {
      Double before = first.get(e.getKey());
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("mib_first", before);
      one.put("mib_then", e.getValue());
      if (before != null) {
        double growth = 100 * (e.getValue() - before) / before;
        one.put("growth_pct", round(growth));
        sumFirst += before;
        sumAll += e.getValue();
        if (growth > worst) {
          worst = growth;
          worstName = e.getKey();
        }
      }
      per.put(e.getKey(), one);
    }
    m.put("processes", per);
    m.put("total_mib_first", round(sumFirst));
    m.put("total_mib_then", round(sumAll));
    m.put("total_growth_pct", round(100 * (sumAll - sumFirst) / sumFirst));
    m.put("largest_growth", worstName);
    m.put("largest_growth_pct", round(worst));
    m.put("target_growth_pct", 20);
    return m;
  }

  // ---------------------------------------------------------------- submission

  /**
   * Submits batches {@code from} (inclusive) to {@code to} from {@link #clients} threads, each with its own
   * HTTP client, each batch keyed (a retry after a refusal or a lost answer submits it once). Returns the
   * seconds from the first request to the last answer.
   */
  private double submit(int from, int to, String[] batchIds, List<Double> latencies, Map<Integer, Integer> statuses,
      AtomicInteger retries) throws Exception {
    AtomicInteger next = new AtomicInteger(from);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long t0 = System.nanoTime();
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      running.add(pool.submit(() -> {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
        for (int k = next.getAndIncrement(); k < to; k = next.getAndIncrement()) {
          byte[] body = batchBody(k);
          for (int attempt = 1; ; attempt++) {
            long start = System.nanoTime();
            HttpResponse<String> answer;
            try {
              answer = client.send(HttpRequest.newBuilder(URI.create(gateway + "/v1/batches"))
                  .timeout(HTTP_TIMEOUT)
                  .header("Content-Type", "application/json")
                  .header("Authorization", "Bearer " + API_KEY)
                  .header("Idempotency-Key", "load-" + runId + "-" + k)
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
              if (attempt >= 5) {
                throw e;
              }
              retries.incrementAndGet();
              Thread.sleep(1000);
              continue;
            }
            double ms = (System.nanoTime() - start) / 1e6;
            statuses.merge(answer.statusCode(), 1, Integer::sum);
            if (answer.statusCode() == 503 && attempt < 5) {
              retries.incrementAndGet();
              Thread.sleep(1000);
              continue;
            }
            if (answer.statusCode() / 100 != 2) {
              throw new IllegalStateException("batch " + k + " refused: " + answer.statusCode() + " " + answer.body());
            }
            synchronized (latencies) {
              latencies.add(ms);
            }
            batchIds[k] = JSON.readTree(answer.body()).path("batch").path("id").asText();
            break;
          }
        }
        return null;
      }));
    }
    pool.shutdown();
    long deadline = System.nanoTime() + catchUpTimeout.toNanos();
    for (Future<?> f : running) {
      f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.err.printf("# submitted batches %d..%d in %.1f s%n", from, to - 1, seconds);
    return seconds;
  }

  /** One batch of {@link #batchSize} small jobs; settings are irrelevant on simulated compute. */
  private byte[] batchBody(int k) {
    StringBuilder b = new StringBuilder(batchSize * 60);
    b.append("{\"defaults\": {\"width\": 64, \"height\": 64, \"frames\": 5, \"steps\": 2}, \"jobs\": [");
    for (int i = 0; i < batchSize; i++) {
      if (i > 0) {
        b.append(", ");
      }
      b.append("{\"prompt\": \"a red ball drifting right, batch ").append(k).append(" shot ").append(i)
          .append("\", \"seed\": ").append(i).append('}');
    }
    return b.append("]}").toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Waits until the gateway's batch view counts every job of batches {@code from..to-1} (queued + running + done =
   * total): the tracker has folded every QUEUED event. Returns the nanoTime it saw that.
   */
  private long awaitKnown(String[] batchIds, int from, int to, Duration timeout) throws Exception {
    List<String> pending = new ArrayList<>(java.util.Arrays.asList(batchIds).subList(from, to));
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      pending.removeIf(id -> {
        JsonNode b = batchView(id);
        long counted = b.path("queued").asLong() + b.path("running").asLong() + b.path("done").asLong();
        return b.path("total").asLong() > 0 && counted >= b.path("total").asLong();
      });
      if (pending.isEmpty()) {
        return System.nanoTime();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(pending.size() + " batches not fully known after " + timeout + ", e.g. "
            + pending.get(0) + ": " + batchView(pending.get(0)));
      }
      Thread.sleep(100);
    }
  }

  private JsonNode batchView(String id) {
    try {
      HttpResponse<String> r = get(gateway + "/v1/batches/" + id);
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : JSON.createObjectNode();
    } catch (Exception e) {
      return JSON.createObjectNode();
    }
  }

  // ---------------------------------------------------------------- the tracker, live

  private volatile boolean stopSampling;

  /** Every 250 ms: the events topic's end (read committed) and the tracker's committed offsets, summed. */
  private void sampleOffsets(Admin admin, List<TopicPartition> partitions) {
    while (!stopSampling) {
      try {
        long end = endOffsets(admin, partitions, IsolationLevel.READ_COMMITTED).values().stream()
            .mapToLong(Long::longValue).sum();
        long committed = committed(admin, TRACKER_GROUP, partitions);
        synchronized (offsetSamples) {
          offsetSamples.add(new long[] {System.nanoTime(), end, committed});
        }
        Thread.sleep(250);
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        System.err.println("# offset sample failed: " + e);
      }
    }
  }

  /**
   * What the samples say about the tracker while the jobs went in: events it folded per second (mean over the
   * window it had work, and the best 1 s), and how far behind it fell. Offsets count records plus the
   * transaction markers of the gateway's submissions (six a batch of 1,000 jobs, 0.6%).
   */
  private Map<String, Object> liveFold(long fromNanos, long toNanos) {
    List<long[]> s;
    synchronized (offsetSamples) {
      s = offsetSamples.stream().filter(x -> x[0] >= fromNanos - 500_000_000L && x[0] <= toNanos + 500_000_000L)
          .toList();
    }
    Map<String, Object> m = line("tracker-live");
    if (s.size() < 2) {
      m.put("error", "too few offset samples: " + s.size());
      return m;
    }
    long[] first = s.get(0);
    long[] last = s.get(s.size() - 1);
    long folded = last[2] - first[2];
    long produced = last[1] - first[1];
    // The window with work: from the first sample with a lag to the first where the tracker caught up after it.
    long start = -1;
    long end = -1;
    long maxLag = 0;
    double bestRate = 0;
    double saturatedSeconds = 0;
    long saturatedFolded = 0;
    for (int i = 0; i < s.size(); i++) {
      long lag = s.get(i)[1] - s.get(i)[2];
      maxLag = Math.max(maxLag, lag);
      if (lag > 0 && start < 0) {
        start = s.get(Math.max(0, i - 1))[0];
      }
      if (lag <= 0 && start >= 0) {
        end = s.get(i)[0];
      }
      for (int j = i + 1; j < s.size(); j++) {
        double dt = (s.get(j)[0] - s.get(i)[0]) / 1e9;
        if (dt >= 1.0) {
          bestRate = Math.max(bestRate, (s.get(j)[2] - s.get(i)[2]) / dt);
          break;
        }
      }
      // A step with a backlog of more than 1,000 events at both ends: the tracker had work all along.
      if (i > 0 && lag > 1000 && s.get(i - 1)[1] - s.get(i - 1)[2] > 1000) {
        saturatedSeconds += (s.get(i)[0] - s.get(i - 1)[0]) / 1e9;
        saturatedFolded += s.get(i)[2] - s.get(i - 1)[2];
      }
    }
    double window = start >= 0 ? ((end > start ? end : last[0]) - start) / 1e9 : 0;
    m.put("events_produced", produced);
    m.put("events_folded", folded);
    m.put("window_s", round(window));
    m.put("events_per_s_mean", window > 0 ? round(folded / window) : null);
    m.put("events_per_s_best_1s", round(bestRate));
    m.put("backlog_max_events", maxLag);
    m.put("saturated_s", round(saturatedSeconds));
    m.put("events_per_s_while_saturated", saturatedSeconds > 0 ? round(saturatedFolded / saturatedSeconds) : null);
    m.put("target_events_per_s", 20000);
    m.put("note", "bounded by how fast events were produced unless saturated_s is large");
    return m;
  }

  // ---------------------------------------------------------------- status lag

  private ExecutorService probeQueue;
  private final AtomicInteger probesInFlight = new AtomicInteger();
  private final AtomicLong cancelledSeen = new AtomicLong();
  private volatile long watcherPosition;

  /** Reads every event from the start; counts them; sends stage events (not QUEUED) to lag probes. */
  private void watchEvents() {
    Properties extra = new Properties();
    extra.put("fetch.max.wait.ms", "20");
    extra.put("max.poll.records", "5000");
    try (KafkaConsumer<String, StageEvent> consumer = EventReader.open(bootstrap, "load-bench-" + runId, extra)) {
      while (!stopWatching) {
        for (ConsumerRecord<String, StageEvent> r : consumer.poll(Duration.ofMillis(100))) {
          StageEvent e = r.value();
          eventsSeen.incrementAndGet();
          if (e == null) {
            continue;
          }
          eventCounts.computeIfAbsent(e.getType(), t -> new AtomicLong()).incrementAndGet();
          if (e.getType() == StageEventType.CANCELLED) {
            lastCancelledEventMillis.accumulateAndGet(e.getTimeMillis(), Math::max);
          }
          if (e.getType() != StageEventType.QUEUED) {
            probe(e, phase);
          }
        }
        long position = 0;
        for (TopicPartition tp : consumer.assignment()) {
          position += consumer.position(tp);
        }
        watcherPosition = position;
      }
    }
  }

  private void probe(StageEvent e, String when) {
    // Cancellation makes an event per job: probe one in 50 of those, so the probes do not load the tracker.
    if (e.getType() == StageEventType.CANCELLED && cancelledSeen.incrementAndGet() % 50 != 1) {
      return;
    }
    if (probesInFlight.get() >= 4) {
      lagSkipped.incrementAndGet();
      return;
    }
    probesInFlight.incrementAndGet();
    String jobId = e.getJobId();
    long eventMillis = e.getTimeMillis();
    probeQueue.submit(() -> {
      try {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline && !stopWatching) {
          HttpResponse<String> r = get(trackerUrl + "/tracker/jobs/" + jobId);
          if (r.statusCode() == 200 && JSON.readTree(r.body()).path("lastEventMillis").asLong() >= eventMillis) {
            lags.computeIfAbsent(when, k -> new ConcurrentLinkedQueue<>())
                .add((double) (System.currentTimeMillis() - eventMillis));
            return null;
          }
          Thread.sleep(5);
        }
        lagTimeouts.incrementAndGet();
        return null;
      } finally {
        probesInFlight.decrementAndGet();
      }
    });
  }

  private Map<String, Object> statusLag() {
    Map<String, Object> m = line("status-lag");
    m.put("what", "stage event's time to GET /tracker/jobs/{id} showing it (lastEventMillis), polled every 5 ms; "
        + "every non-QUEUED event while fewer than 4 probes run, one CANCELLED event in 50");
    for (Map.Entry<String, ConcurrentLinkedQueue<Double>> e : new java.util.TreeMap<>(lags).entrySet()) {
      double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).toArray();
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("events", v.length);
      one.put("ms_p50", round(Stats.percentile(v, 50)));
      one.put("ms_p99", round(Stats.percentile(v, 99)));
      one.put("ms_max", round(Stats.percentile(v, 100)));
      m.put(e.getKey(), one);
    }
    m.put("timeouts_60s", lagTimeouts.get());
    m.put("not_probed_4_in_flight", lagSkipped.get());
    Map<String, Long> counts = new java.util.TreeMap<>();
    eventCounts.forEach((k, v) -> counts.put(k.name(), v.get()));
    m.put("events_by_type", counts);
    return m;
  }

  // ---------------------------------------------------------------- queries

  private void queryLatencies(String[] batchIds) throws Exception {
    Random random = new Random(19);
    int pages = batchSize / 100;
    Map<String, java.util.function.Supplier<String>> routes = new LinkedHashMap<>();
    routes.put("GET /v1/jobs/{id}", () -> gateway + "/v1/jobs/"
        + Ids.jobId(batchIds[random.nextInt(batchIds.length)], random.nextInt(batchSize)));
    routes.put("GET /v1/batches/{id}", () -> gateway + "/v1/batches/" + batchIds[random.nextInt(batchIds.length)]);
    routes.put("GET /v1/batches/{id}/jobs?limit=100", () -> gateway + "/v1/batches/"
        + batchIds[random.nextInt(batchIds.length)] + "/jobs?from=" + 100 * random.nextInt(Math.max(1, pages))
        + "&limit=100");
    for (Map.Entry<String, java.util.function.Supplier<String>> route : routes.entrySet()) {
      for (int i = 0; i < 100; i++) { // warm-up
        get(route.getValue().get());
      }
      double[] ms = new double[queries];
      int errors = 0;
      long bytes = 0;
      for (int i = 0; i < queries; i++) {
        String url = route.getValue().get();
        long t0 = System.nanoTime();
        HttpResponse<String> r = get(url);
        ms[i] = (System.nanoTime() - t0) / 1e6;
        bytes += r.body().length();
        if (r.statusCode() != 200) {
          errors++;
        }
      }
      Map<String, Object> m = line("query");
      m.put("route", route.getKey());
      m.put("jobs_known", jobs);
      m.put("requests", queries);
      m.put("errors", errors);
      m.put("ms_p50", round(Stats.percentile(ms, 50)));
      m.put("ms_p99", round(Stats.percentile(ms, 99)));
      m.put("ms_max", round(Stats.percentile(ms, 100)));
      m.put("bytes_mean", bytes / queries);
      m.put("target_p99_ms", 50);
      print(m);
    }
  }

  // ---------------------------------------------------------------- cancel

  private Map<String, Object> cancel(String[] batchIds) throws Exception {
    long wallStart = System.currentTimeMillis();
    long t0 = System.nanoTime();
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      running.add(pool.submit(() -> {
        for (int k = next.getAndIncrement(); k < batchIds.length; k = next.getAndIncrement()) {
          HttpResponse<String> r = post(gateway + "/v1/batches/" + batchIds[k] + "/cancel");
          if (r.statusCode() != 202) {
            throw new IllegalStateException("cancel of " + batchIds[k] + ": " + r.statusCode() + " " + r.body());
          }
        }
        return null;
      }));
    }
    pool.shutdown();
    for (Future<?> f : running) {
      f.get(5, TimeUnit.MINUTES);
    }
    double requestsSeconds = (System.nanoTime() - t0) / 1e9;
    // Then until the API shows every job finished. Batches that are done are not asked again.
    List<String> pending = new ArrayList<>(java.util.Arrays.asList(batchIds));
    Map<String, JsonNode> last = new HashMap<>();
    long deadline = System.nanoTime() + cancelTimeout.toNanos();
    long nextReport = System.nanoTime();
    while (!pending.isEmpty()) {
      pending.removeIf(id -> {
        JsonNode b = batchView(id);
        last.put(id, b);
        return b.path("total").asLong() > 0 && b.path("done").asLong() >= b.path("total").asLong();
      });
      if (System.nanoTime() > nextReport) {
        System.err.printf("# cancel: %.0f s, %d batches not done, CANCELLED events so far %d%n",
            (System.nanoTime() - t0) / 1e9, pending.size(),
            eventCounts.getOrDefault(StageEventType.CANCELLED, new AtomicLong()).get());
        nextReport = System.nanoTime() + 10_000_000_000L;
      }
      if (pending.isEmpty()) {
        break;
      }
      if (System.nanoTime() > deadline) {
        System.err.printf("# cancel: gave up waiting after %s, %d batches not done%n", cancelTimeout, pending.size());
        break;
      }
      Thread.sleep(500);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long cancelled = 0;
    long succeeded = 0;
    long failed = 0;
    for (JsonNode b : last.values()) {
      cancelled += b.path("cancelled").asLong();
      succeeded += b.path("succeeded").asLong();
      failed += b.path("failed").asLong();
    }
    Map<String, Object> m = line("cancel");
    m.put("jobs", jobs);
    m.put("finished", pending.isEmpty());
    if (!pending.isEmpty()) {
      m.put("timeout_s", cancelTimeout.toSeconds());
      m.put("batches_not_done", pending.size());
    }
    m.put("how", batchIds.length + " batches of " + batchSize + ", POST /v1/batches/{id}/cancel each");
    m.put("cancel_requests_s", round(requestsSeconds));
    m.put("seconds_until_api_shows_all_done", round(seconds));
    long lastEvent = lastCancelledEventMillis.get();
    m.put(pending.isEmpty() ? "seconds_until_last_cancelled_event" : "seconds_until_last_cancelled_event_so_far",
        lastEvent > 0 ? round((lastEvent - wallStart) / 1e3) : null);
    m.put("jobs_cancelled_per_s", round(cancelled / seconds));
    m.put("jobs_done", cancelled + succeeded + failed);
    m.put("cancelled", cancelled);
    m.put("succeeded_before_cancel", succeeded);
    m.put("failed", failed);
    return m;
  }

  // ---------------------------------------------------------------- replay

  /**
   * The whole events topic (and the batches topic) folded again by {@link TrackerTopology} in a fresh Kafka Streams
   * app with its own application id, configured as the tracker service configures it (exactly once, commit
   * interval 100 ms), against the farm's broker, which is idle by now. Timed from start() and from RUNNING until
   * its committed offsets reach the end of the events topic.
   */
  private Map<String, Object> replayIntoStreams(Admin admin, List<TopicPartition> eventPartitions, String[] batchIds)
      throws Exception {
    Map<TopicPartition, Long> end = endOffsets(admin, eventPartitions, IsolationLevel.READ_COMMITTED);
    long endSum = end.values().stream().mapToLong(Long::longValue).sum();
    String appId = "load-replay-" + runId;
    Path state = Files.createTempDirectory("load-replay");
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    props.putAll(TrackerTopology.errorHandling());
    KafkaStreams streams = new KafkaStreams(TrackerTopology.build(), props);
    Map<String, Object> m = line("tracker-replay");
    m.put("how", "fresh Kafka Streams app (TrackerTopology, exactly_once_v2, commit 100 ms) against the farm's "
        + "broker, reading flowreel.events and flowreel.batches from the start");
    try {
      long t0 = System.nanoTime();
      streams.start();
      awaitOrFail(Duration.ofMinutes(2), () -> streams.state() == KafkaStreams.State.RUNNING, "replay app RUNNING");
      long running = System.nanoTime();
      long[] reached = {0};
      awaitOrFail(Duration.ofMinutes(15), () -> {
        try {
          reached[0] = committed(admin, appId, eventPartitions);
          return reached[0] >= endSum;
        } catch (Exception e) {
          return false;
        }
      }, "replay to reach offset " + endSum);
      // The batch counts come one step later, through the repartition topic: wait until that is consumed too.
      List<TopicPartition> repartition = partitions(admin, appId + "-" + TrackerTopology.JOB_CHANGES + "-repartition");
      long repartitionEnd = endOffsets(admin, repartition, IsolationLevel.READ_COMMITTED).values().stream()
          .mapToLong(Long::longValue).sum();
      awaitOrFail(Duration.ofMinutes(10), () -> {
        try {
          return committed(admin, appId, repartition) >= repartitionEnd;
        } catch (Exception e) {
          return false;
        }
      }, "replay to fold the repartition topic to " + repartitionEnd);
      long done = System.nanoTime();
      long events = endSum;
      m.put("events", events);
      m.put("offsets_note", "events counted by offsets, which include the gateway's transaction markers (~0.6%)");
      m.put("seconds_from_start", round((done - t0) / 1e9));
      m.put("seconds_from_running", round((done - running) / 1e9));
      m.put("events_per_s", round(events / ((done - running) / 1e9)));
      m.put("target_events_per_s", 20000);
      ReadOnlyKeyValueStore<String, BatchStatus> batches = streams.store(StoreQueryParameters.fromNameAndType(
          TrackerTopology.BATCHES_STORE, QueryableStoreTypes.keyValueStore()));
      m.put("check_jobs_done", doneJobs(batchIds, batches::get));
    } finally {
      streams.close(Duration.ofSeconds(30));
      streams.cleanUp();
      deleteTree(state);
    }
    return m;
  }

  /**
   * The same recorded records (read once from the broker into memory, raw bytes) piped through a
   * {@link TopologyTestDriver}: the topology's own cost, RocksDB stores included, without broker, commits or
   * transactions.
   */
  private Map<String, Object> replayIntoTestDriver(Admin admin, String[] batchIds) throws Exception {
    List<ConsumerRecord<byte[], byte[]>> submissions = readAll(admin, Topics.BATCHES.name());
    List<ConsumerRecord<byte[], byte[]>> events = readAll(admin, Topics.EVENTS.name());
    // One job's events are in one partition, in order; across partitions, interleave by time as they came.
    events.sort(Comparator.<ConsumerRecord<byte[], byte[]>>comparingLong(ConsumerRecord::timestamp)
        .thenComparingInt(ConsumerRecord::partition).thenComparingLong(ConsumerRecord::offset));
    Path state = Files.createTempDirectory("load-ttd");
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "load-ttd-" + runId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    props.putAll(TrackerTopology.errorHandling());
    Map<String, Object> m = line("tracker-replay");
    m.put("how", "TopologyTestDriver (TrackerTopology, RocksDB stores, no broker), the recorded records piped from "
        + "memory");
    try (TopologyTestDriver driver = new TopologyTestDriver(TrackerTopology.build(), props)) {
      TestInputTopic<byte[], byte[]> batchesIn = driver.createInputTopic(Topics.BATCHES.name(),
          new ByteArraySerializer(), new ByteArraySerializer());
      TestInputTopic<byte[], byte[]> eventsIn = driver.createInputTopic(Topics.EVENTS.name(),
          new ByteArraySerializer(), new ByteArraySerializer());
      for (ConsumerRecord<byte[], byte[]> r : submissions) {
        batchesIn.pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(), r.timestamp()));
      }
      long t0 = System.nanoTime();
      for (ConsumerRecord<byte[], byte[]> r : events) {
        eventsIn.pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(), r.timestamp()));
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      m.put("events", events.size());
      m.put("seconds", round(seconds));
      m.put("events_per_s", round(events.size() / seconds));
      m.put("target_events_per_s", 20000);
      KeyValueStore<String, BatchStatus> batches = driver.getKeyValueStore(TrackerTopology.BATCHES_STORE);
      m.put("check_jobs_done", doneJobs(batchIds, batches::get));
      KeyValueStore<String, JobStatus> jobStore = driver.getKeyValueStore(TrackerTopology.JOBS_STORE);
      long count = 0;
      try (KeyValueIterator<String, JobStatus> all = jobStore.all()) {
        while (all.hasNext()) {
          all.next();
          count++;
        }
      }
      m.put("check_jobs_in_store", count);
    } finally {
      deleteTree(state);
    }
    return m;
  }

  private long doneJobs(String[] batchIds, java.util.function.Function<String, BatchStatus> store) {
    long done = 0;
    for (String id : batchIds) {
      BatchStatus b = store.apply(id);
      if (b != null) {
        done += b.done();
      }
    }
    return done;
  }

  /** Every committed record of a topic, raw, from the start to its end as it is now. */
  private List<ConsumerRecord<byte[], byte[]>> readAll(Admin admin, String topic) throws Exception {
    List<TopicPartition> parts = partitions(admin, topic);
    Map<TopicPartition, Long> end = endOffsets(admin, parts, IsolationLevel.READ_COMMITTED);
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("isolation.level", "read_committed");
    props.put("max.poll.records", "10000");
    props.put("enable.auto.commit", "false");
    List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic + " to its end within 5 minutes");
        }
        consumer.poll(Duration.ofMillis(200)).forEach(all::add);
      }
    }
    return all;
  }

  // ---------------------------------------------------------------- helpers

  private static List<TopicPartition> partitions(Admin admin, String topic) throws Exception {
    return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions()
        .stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }

  private static Map<TopicPartition, Long> endOffsets(Admin admin, List<TopicPartition> partitions,
      IsolationLevel isolation) throws Exception {
    Map<TopicPartition, OffsetSpec> spec = new HashMap<>();
    partitions.forEach(tp -> spec.put(tp, OffsetSpec.latest()));
    Map<TopicPartition, Long> end = new HashMap<>();
    admin.listOffsets(spec, new ListOffsetsOptions(isolation)).all().get(30, TimeUnit.SECONDS)
        .forEach((tp, info) -> end.put(tp, info.offset()));
    return end;
  }

  private static long committed(Admin admin, String group, List<TopicPartition> partitions) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    long sum = 0;
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata o = offsets.get(tp);
      sum += o == null ? 0 : o.offset();
    }
    return sum;
  }

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(HTTP_TIMEOUT)
        .header("Authorization", "Bearer " + API_KEY).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(HTTP_TIMEOUT)
        .header("Authorization", "Bearer " + API_KEY).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void awaitOrFail(Duration timeout, BooleanSupplier done, String what) throws InterruptedException {
    if (!awaitQuietly(timeout, done)) {
      throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
    }
  }

  private static boolean awaitQuietly(Duration timeout, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (done.getAsBoolean()) {
          return true;
        }
      } catch (RuntimeException e) {
        // not yet
      }
      Thread.sleep(100);
    }
    return false;
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(() -> {
      try {
        body.run();
      } catch (RuntimeException e) {
        System.err.println("# " + name + " failed: " + e);
      }
    }, name);
    t.setDaemon(true);
    return t;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private Map<String, Object> line(String measurement) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("measurement", measurement);
    m.put("time", Instant.now().toString());
    return m;
  }

  private static void print(Map<String, Object> m) throws IOException {
    System.out.println(JSON.writeValueAsString(m));
    System.out.flush();
  }

  private static double round(double v) {
    return Double.isFinite(v) ? Math.round(v * 10) / 10.0 : v;
  }
}
