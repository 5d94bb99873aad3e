package io.flowreel.gateway;

import io.flowreel.contract.Stages;
import io.flowreel.contract.Topic;
import io.flowreel.contract.Topics;
import io.flowreel.messages.DeadLetter;
import io.flowreel.messages.Stage;
import io.flowreel.tracker.JobStatus;
import jakarta.inject.Singleton;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.core.UriInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

/**
 * {@code /v1/dead-letters}: the tasks a stage gave up on, read from the stage's dead-letter topic (one partition,
 * kept 30 days), oldest first, with the cause and how to run each again. The topic is the record; nothing is
 * copied into a store, so a list is a bounded read of it with a fresh consumer (no group, read committed).
 */
@SecurityRequirement(name = ApiKeyFilter.OPENAPI_SCHEME)
@Singleton
@Path("/v1/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
public class DeadLettersResource {

  private static final System.Logger LOG = System.getLogger(DeadLettersResource.class.getName());
  /** Most records one page reads past the cursor, however few of them are the caller's. */
  private static final int MAX_SCANNED = 5_000;
  private static final Duration READ_WAIT = Duration.ofSeconds(5);

  private final GatewayConfig config;
  private final TrackerClient tracker;

  DeadLettersResource(GatewayConfig config, TrackerClient tracker) {
    this.config = config;
    this.tracker = tracker;
  }

  @GET
  @Operation(summary = "A stage's dead letters, oldest first, a page at a time",
      description = "stage: rewrite, encode, denoise, decode, upsample or publish. Each names the job, the cause, "
          + "how often the stage tried, where the job is now, and 'retry': the POST that runs it again from that "
          + "stage, reusing what earlier stages stored. A studio sees its own; an operator every tenant's, or one "
          + "tenant's with 'tenant'. Paged with 'cursor' like GET /v1/jobs.")
  public ApiModel.DeadLetterList list(@QueryParam("stage") String stageId, @QueryParam("tenant") String tenant,
      @QueryParam("cursor") String cursor, @QueryParam("limit") @DefaultValue("100") int limit,
      @Context SecurityContext security, @Context UriInfo uri) {
    Caller caller = Caller.of(security);
    Stage stage = stageId == null ? Stage.UNKNOWN : Stages.fromId(stageId.trim().toLowerCase());
    if (stage == Stage.UNKNOWN) {
      throw ApiException.badRequest("stage must be one of " + Stages.PIPELINE.stream().map(Stages::id).toList()
          + (stageId == null ? "" : ", not '" + stageId + "'"));
    }
    // An operator without 'tenant' sees every tenant's; anyone else, one tenant's.
    String owner = caller.operator() && tenant == null ? null : Listing.tenant(caller, tenant);
    String position = Listing.decode(cursor, p -> p.matches("o[0-9]{1,18}"));
    long from = position == null ? 0 : Long.parseLong(position.substring(1));
    Listing.limit(limit);

    List<ApiModel.DeadLetter> found = new ArrayList<>();
    Topic<String, DeadLetter> letters = Topics.deadLetters(stage);
    String topic = letters.name();
    long next;
    try (KafkaConsumer<String, byte[]> consumer = consumer()) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      if (partitions.size() != 1) {
        throw new IllegalStateException(topic + " has " + partitions.size() + " partitions; dead-letter lists read "
            + "topics of one (infra/topics.yaml)");
      }
      TopicPartition partition = partitions.get(0);
      consumer.assign(partitions);
      long end = consumer.endOffsets(partitions).get(partition);
      long start = Math.max(from, consumer.beginningOffsets(partitions).get(partition));
      consumer.seek(partition, start);
      next = start;
      long deadline = System.nanoTime() + READ_WAIT.toNanos();
      reading:
      while (next < end && next - start < MAX_SCANNED && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          next = record.offset() + 1;
          DeadLetter letter = read(letters, record);
          if (letter != null && (owner == null || owner.equals(letter.getTask().getSpec().getTenant()))) {
            found.add(view(stage, letter));
            if (found.size() == limit) {
              break reading;
            }
          }
        }
        next = Math.max(next, consumer.position(partition));
      }
      next = Math.min(next, end);
      String nextCursor = next < end ? Listing.encode("o" + next) : null;
      return new ApiModel.DeadLetterList(Stages.id(stage), found, nextCursor,
          nextCursor == null ? null : Listing.next(uri, nextCursor));
    }
  }

  private ApiModel.DeadLetter view(Stage stage, DeadLetter letter) {
    String jobId = letter.getTask().getSpec().getJobId();
    Optional<JobStatus> job = tracker.job(jobId);
    return new ApiModel.DeadLetter(jobId, letter.getTask().getSpec().getBatchId(),
        letter.getTask().getSpec().getTenant(), Stages.id(stage), letter.getTask().getAttempt(), letter.getError(),
        letter.getErrorClass(), letter.getDeliveryAttempts(), Instant.ofEpochMilli(letter.getTimeMillis()),
        job.map(JobStatus::state).orElse(null), job.map(JobStatus::attempt).orElse(null),
        "/v1/jobs/" + jobId + "/retry?from=" + Stages.id(stage));
  }

  private static DeadLetter read(Topic<String, DeadLetter> letters, ConsumerRecord<String, byte[]> record) {
    try {
      return record.value() == null ? null : letters.deserializeValue(record.value());
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "skipping an unreadable record at " + letters.name() + "@" + record.offset()
          + ": " + e.getMessage());
      return null;
    }
  }

  private KafkaConsumer<String, byte[]> consumer() {
    return new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
        ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(READ_WAIT.toMillis())),
        new StringDeserializer(), new ByteArrayDeserializer());
  }
}
