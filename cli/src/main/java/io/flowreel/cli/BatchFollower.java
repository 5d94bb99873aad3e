package io.flowreel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowreel.messages.Stage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Follows a batch through the gateway's event stream until every job has finished: progress per
 * job on the display, and each finished job's video, poster and manifest downloaded into the
 * output folder (when one is given) as {@code <name>.mp4}, {@code .png} and {@code .json}.
 */
final class BatchFollower {

  private static final Map<String, String> EXTENSIONS = Map.of("MP4", ".mp4", "PNG", ".png", "JSON", ".json");

  private final GatewayClient gateway;
  private final ProgressDisplay progress;
  private final Set<String> finished = new HashSet<>();
  private final Map<String, Long> started = new HashMap<>();
  private int failed;

  BatchFollower(GatewayClient gateway, ProgressDisplay progress) {
    this.gateway = gateway;
    this.progress = progress;
  }

  /**
   * Returns the number of jobs that did not succeed.
   *
   * @param names display and file name per job id (the job id where absent)
   * @param out where to download the outputs, or null
   * @throws InterruptedException when {@code interrupted} turns true first (the batch is then cancelled)
   */
  int follow(String batchId, Map<String, String> names, Path out, BooleanSupplier interrupted)
      throws GatewayClient.GatewayException, IOException, InterruptedException {
    if (out != null) {
      Files.createDirectories(out);
    }
    names.values().forEach(name -> progress.queued(name));
    BlockingQueue<GatewayClient.Event> events = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try {
        gateway.events("/v1/batches/" + batchId + "/events", events::add);
      } catch (GatewayClient.GatewayException e) {
        // the end of the stream is checked below against the batch itself
      }
    }, "batch-events");
    reader.setDaemon(true);
    reader.start();
    while (reader.isAlive() || !events.isEmpty()) {
      if (interrupted.getAsBoolean()) {
        cancelQuietly(batchId);
        throw new InterruptedException("interrupted with " + (names.size() - finished.size()) + " clips unfinished");
      }
      GatewayClient.Event event = events.poll(200, TimeUnit.MILLISECONDS);
      if (event != null && event.data().has("jobId")) {
        on(event.data(), names, out);
      }
    }
    // Events from before the stream opened are not replayed: settle every job from its status.
    JsonNode batch = gateway.batch(batchId);
    for (int from = 0; from < batch.path("total").asInt(); from += 1000) {
      for (JsonNode job : gateway.batchJobs(batchId, from, 1000).path("jobs")) {
        settle(job, names, out);
      }
    }
    return failed;
  }

  private void on(JsonNode event, Map<String, String> names, Path out) throws GatewayClient.GatewayException,
      IOException {
    String jobId = event.path("jobId").asText();
    String name = names.getOrDefault(jobId, jobId);
    started.putIfAbsent(jobId, System.currentTimeMillis());
    Stage stage = Stage.valueOf(event.path("stage").asText());
    switch (event.path("type").asText()) {
      case "STARTED" -> progress.stage(name, stage);
      case "PROGRESS" -> {
        if (event.has("step") && event.has("totalSteps")) {
          progress.step(name, event.path("step").asInt(), event.path("totalSteps").asInt());
        }
      }
      case "SUCCEEDED" -> {
        if (stage == Stage.PUBLISH) {
          settle(gateway.job(jobId), names, out);
        }
      }
      case "FAILED", "DEAD_LETTERED", "CANCELLED" -> settle(gateway.job(jobId), names, out);
      default -> { }
    }
  }

  /** Records a finished job once: downloads a succeeded one, reports any other. */
  private void settle(JsonNode job, Map<String, String> names, Path out) throws GatewayClient.GatewayException,
      IOException {
    String jobId = job.path("id").asText();
    String state = job.path("state").asText();
    boolean terminal = state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("CANCELLED");
    if (!terminal || !finished.add(jobId)) {
      return;
    }
    String name = names.getOrDefault(jobId, jobId);
    if (!state.equals("SUCCEEDED")) {
      failed++;
      progress.failed(name, state.toLowerCase(Locale.ROOT) + (job.hasNonNull("error") ? ": "
          + job.path("error").asText() : ""));
      return;
    }
    Path video = null;
    if (out != null) {
      for (JsonNode output : job.path("outputs")) {
        Path file = out.resolve(name + EXTENSIONS.getOrDefault(output.path("format").asText(), ".bin"));
        gateway.download(output.path("url").asText(), file);
        if (output.path("name").asText().equals("video")) {
          video = file;
        }
      }
    }
    long took = System.currentTimeMillis() - started.getOrDefault(jobId, System.currentTimeMillis());
    progress.done(name, video != null ? video : Path.of(jobId), took);
  }

  private void cancelQuietly(String batchId) {
    try {
      gateway.cancelBatch(batchId);
    } catch (GatewayClient.GatewayException e) {
      // the stack is going down anyway
    }
  }
}
