package io.flowreel.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowreel.contract.Stages;
import io.flowreel.contract.Topics;
import io.flowreel.messages.BatchFinished;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Sends each batch's webhooks: {@code job.succeeded}, {@code job.failed}, {@code job.cancelled} from the stage
 * events, {@code batch.done} from the tracker's {@code flowreel.batches.finished}, to the batch's {@code
 * callbackUrl}. At least once: a consumer group of the gateways reads both topics and commits only what it has
 * delivered or given up on, so a gateway that dies mid-way leaves the rest to the next. A receiver tells repeats
 * apart by {@value Webhooks#DELIVERY_HEADER} (also the body's {@code id}); {@value Webhooks#SIGNATURE_HEADER} is the
 * HMAC-SHA256 of the body under the tenant's key ({@code GET /v1/webhooks/secret}). A failing receiver is tried
 * {@code webhook-attempts} times, 1 s apart and doubling; records are delivered one after another, so a receiver
 * that keeps failing delays the webhooks behind it by that long (docs/api.md, "Webhooks").
 */
@Singleton
public class WebhookDeliverer {

  private static final Logger LOG = Logger.getLogger(WebhookDeliverer.class);
  static final String GROUP = "flowreel-gateway-webhooks";
  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  private static final Duration MAX_TRACKER_WAIT = Duration.ofSeconds(30);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final int CACHED_BATCHES = 10_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final GatewayConfig config;
  private final Webhooks webhooks;
  private final TrackerClient tracker;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER).build();
  /** Where each batch's webhooks go, by batch id: a submission never changes. */
  private final Map<String, Callbacks> callbacks = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Callbacks> eldest) {
      return size() > CACHED_BATCHES;
    }
  };
  private volatile boolean running;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private Thread thread;

  WebhookDeliverer(GatewayConfig config, Webhooks webhooks, TrackerClient tracker) {
    this.config = config;
    this.webhooks = webhooks;
    this.tracker = tracker;
  }

  void onStart(@Observes StartupEvent event) {
    if (!webhooks.enabled()) {
      return;
    }
    running = true;
    thread = new Thread(this::run, "flowreel-webhooks");
    thread.setDaemon(true);
    thread.start();
  }

  void onStop(@Observes ShutdownEvent event) throws InterruptedException {
    running = false;
    if (consumer != null) {
      consumer.wakeup();
    }
    if (thread != null) {
      thread.join(Duration.ofSeconds(15).toMillis());
    }
  }

  private void run() {
    try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, GROUP,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
        // Nothing had a callbackUrl before webhooks existed, so reading a farm's history from the start sends
        // nothing old, and a gateway's first start misses nothing submitted before its group had joined.
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "50",
        // A receiver that keeps failing holds a record for its whole backoff (about a minute): not a dead member.
        ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, Long.toString(Duration.ofMinutes(30).toMillis())),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer = reader;
      reader.subscribe(List.of(Topics.EVENTS.name(), Topics.BATCHES_FINISHED.name()));
      while (running) {
        ConsumerRecords<String, byte[]> records = reader.poll(Duration.ofMillis(500));
        for (ConsumerRecord<String, byte[]> record : records) {
          handle(record);
        }
        if (!records.isEmpty()) {
          reader.commitSync();
        }
      }
    } catch (WakeupException e) {
      // stopping
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.errorf(e, "webhook delivery stopped; the next gateway start resumes from the last committed record");
    }
  }

  private void handle(ConsumerRecord<String, byte[]> record) throws InterruptedException {
    Optional<Webhook> webhook;
    try {
      webhook = record.topic().equals(Topics.EVENTS.name())
          ? ofEvent(Topics.EVENTS.deserializeValue(record.value()))
          : Optional.of(ofBatch(Topics.BATCHES_FINISHED.deserializeValue(record.value())));
    } catch (RuntimeException e) {
      return; // unreadable: the tracker dead-letters these records with their cause (flowreel.dlq.unreadable)
    }
    if (webhook.isEmpty()) {
      return;
    }
    Optional<String> url = callbacksOf(webhook.get().batchId()).of(webhook.get().jobId());
    if (url.isPresent()) {
      deliver(webhook.get(), url.get());
    }
  }

  /** What a stage event tells a studio, if anything: its job finished. */
  private static Optional<Webhook> ofEvent(StageEvent event) {
    String type = switch (event.getType()) {
      case SUCCEEDED -> event.getStage() == Stage.PUBLISH ? "job.succeeded" : null;
      case FAILED, DEAD_LETTERED -> "job.failed";
      case CANCELLED -> "job.cancelled";
      default -> null;
    };
    if (type == null) {
      return Optional.empty();
    }
    ObjectNode body = JSON.createObjectNode();
    String id = event.getJobId() + "/" + event.getAttempt() + "/" + type;
    body.put("id", id).put("type", type).put("createdAt", Instant.ofEpochMilli(event.getTimeMillis()).toString())
        .put("tenant", event.getTenant()).put("batchId", event.getBatchId()).put("jobId", event.getJobId())
        .put("attempt", event.getAttempt()).put("stage", Stages.id(event.getStage()))
        .put("job", "/v1/jobs/" + event.getJobId());
    if (event.getError() != null) {
      body.put("error", event.getError());
    }
    return Optional.of(new Webhook(id, type, event.getTenant(), event.getBatchId(), event.getJobId(), body));
  }

  private static Webhook ofBatch(BatchFinished batch) {
    String id = batch.getBatchId() + "/done/" + batch.getSucceeded() + "-" + batch.getFailed() + "-"
        + batch.getCancelled();
    ObjectNode body = JSON.createObjectNode();
    body.put("id", id).put("type", "batch.done").put("createdAt", Instant.ofEpochMilli(batch.getTimeMillis()).toString())
        .put("tenant", batch.getTenant()).put("batchId", batch.getBatchId()).put("total", batch.getTotal())
        .put("succeeded", batch.getSucceeded()).put("failed", batch.getFailed()).put("cancelled", batch.getCancelled())
        .put("batch", "/v1/batches/" + batch.getBatchId());
    return new Webhook(id, "batch.done", batch.getTenant(), batch.getBatchId(), null, body);
  }

  /** Where the batch's webhooks go, asking the tracker (again, while it is down) the first time. */
  private Callbacks callbacksOf(String batchId) throws InterruptedException {
    Callbacks known = callbacks.get(batchId);
    if (known != null) {
      return known;
    }
    Duration wait = FIRST_BACKOFF;
    while (running) {
      try {
        Callbacks found = tracker.batch(batchId).map(TrackerClient.TrackedBatch::submission)
            .map(submission -> new Callbacks(submission.callbackUrl(), submission.jobCallbackUrls()))
            .orElse(Callbacks.NONE);
        callbacks.put(batchId, found);
        return found;
      } catch (TrackerClient.TrackerUnavailableException e) {
        LOG.warnf("webhooks wait for the tracker (%s)", e.getMessage());
        Thread.sleep(wait.toMillis());
        wait = Collections.min(List.of(wait.multipliedBy(2), MAX_TRACKER_WAIT));
      }
    }
    return Callbacks.NONE;
  }

  private void deliver(Webhook webhook, String url) throws InterruptedException {
    URI target = URI.create(url);
    if (!webhooks.allowed(webhook.tenant(), target)) {
      LOG.warnf("webhook %s not sent: %s is no longer one of tenant %s's callback hosts", webhook.id(), url,
          webhook.tenant());
      return;
    }
    byte[] body;
    try {
      body = JSON.writeValueAsBytes(webhook.body());
    } catch (IOException e) {
      throw new IllegalStateException("a webhook body is plain JSON", e);
    }
    HttpRequest request = HttpRequest.newBuilder(target).timeout(REQUEST_TIMEOUT)
        .header("Content-Type", "application/json")
        .header(Webhooks.DELIVERY_HEADER, webhook.id())
        .header(Webhooks.EVENT_HEADER, webhook.type())
        .header(Webhooks.SIGNATURE_HEADER, webhooks.signature(webhook.tenant(), body))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    Duration backoff = FIRST_BACKOFF;
    String outcome = null;
    for (int attempt = 1; attempt <= config.gateway().webhookAttempts() && running; attempt++) {
      try {
        int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status / 100 == 2) {
          LOG.debugf("webhook %s delivered to %s (try %d)", webhook.id(), url, attempt);
          return;
        }
        outcome = "answered " + status;
      } catch (IOException e) {
        outcome = e.getClass().getSimpleName() + ": " + e.getMessage();
      }
      if (attempt < config.gateway().webhookAttempts()) {
        Thread.sleep(backoff.toMillis());
        backoff = backoff.multipliedBy(2);
      }
    }
    LOG.warnf("webhook %s to %s given up after %d tries: %s", webhook.id(), url, config.gateway().webhookAttempts(),
        outcome);
  }

  /** @param jobId the job a job webhook is about; null for the batch's */
  private record Webhook(String id, String type, String tenant, String batchId, String jobId, ObjectNode body) {}

  /** A batch's callback URL (or none) and its jobs' own. */
  private record Callbacks(String batch, Map<String, String> jobs) {
    static final Callbacks NONE = new Callbacks(null, Map.of());

    Optional<String> of(String jobId) {
      return Optional.ofNullable(jobId == null ? batch : jobs.getOrDefault(jobId, batch));
    }
  }
}
