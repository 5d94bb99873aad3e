package io.flowreel.gateway;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.tracker.BatchStatus;
import io.flowreel.tracker.JobState;
import io.flowreel.tracker.JobStatus;
import io.flowreel.tracker.Submission;
import io.flowreel.tracker.TenantStatus;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The tracker service's queries ({@code /tracker/...}), over HTTP. Status lives only in the
 * tracker; the gateway keeps none of its own.
 */
@Singleton
public class TrackerClient {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final URI base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

  TrackerClient(GatewayConfig config) {
    this.base = config.tracker().url();
  }

  /** What the tracker knows of a batch: the submission, the job counts, or both. */
  public record TrackedBatch(Submission submission, BatchStatus status) {}

  public Optional<JobStatus> job(String jobId) {
    return get("/tracker/jobs/" + jobId, JSON.constructType(JobStatus.class));
  }

  public Optional<TrackedBatch> batch(String batchId) {
    return get("/tracker/batches/" + batchId, JSON.constructType(TrackedBatch.class));
  }

  /** A page of a tenant's jobs, newest first, and the position after it (null at the end). */
  public record JobList(List<JobStatus> jobs, String next) {}

  /** A page of a tenant's batches, newest first, and the position after it (null at the end). */
  public record BatchList(List<TrackedBatch> batches, String next) {}

  /** The tenant's jobs submitted in [since, until) (epoch ms), in {@code state} if not null, below {@code after}. */
  public JobList jobs(String tenant, JobState state, long since, long until, String after, int limit) {
    return this.<JobList>get("/tracker/jobs?" + query(tenant, since, until, after, limit)
        + (state == null ? "" : "&state=" + state), JSON.constructType(JobList.class)).orElseThrow();
  }

  /** The tenant's batches submitted in [since, until), only unfinished ones ({@code open}) or finished ones. */
  public BatchList batches(String tenant, Boolean open, long since, long until, String after, int limit) {
    return this.<BatchList>get("/tracker/batches?" + query(tenant, since, until, after, limit)
        + (open == null ? "" : "&open=" + open), JSON.constructType(BatchList.class)).orElseThrow();
  }

  private static String query(String tenant, long since, long until, String after, int limit) {
    return "tenant=" + encode(tenant) + "&since=" + since + "&until=" + until + "&limit=" + limit
        + (after == null ? "" : "&after=" + encode(after));
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** The tenant's unfinished jobs, all batches together. */
  public TenantStatus tenant(String tenant) {
    return this.<TenantStatus>get("/tracker/tenants/" + encode(tenant),
        JSON.constructType(TenantStatus.class)).orElseGet(() -> new TenantStatus(tenant, 0, 0));
  }

  public List<JobStatus> batchJobs(String batchId, int from, int limit) {
    JavaType type = JSON.getTypeFactory().constructCollectionType(List.class, JobStatus.class);
    return this.<List<JobStatus>>get("/tracker/batches/" + batchId + "/jobs?from=" + from + "&limit=" + limit, type)
        .orElse(List.of());
  }

  /**
   * Reads {@code read} until {@code done} holds or {@code timeout} passes, and returns the last
   * value read. The tracker folds a change a few hundred milliseconds after it was sent; callers that
   * just sent one wait here, bounded, so that their answer already shows it.
   */
  public static <T> T await(Supplier<T> read, Predicate<T> done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T value = read.get();
    while (!done.test(value) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return value;
      }
      value = read.get();
    }
    return value;
  }

  /** Whether the tracker answers that its stores can be queried. */
  public boolean ready() {
    try {
      HttpRequest request = HttpRequest.newBuilder(base.resolve("/q/health/ready")).timeout(TIMEOUT).GET().build();
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  URI base() {
    return base;
  }

  private <T> Optional<T> get(String path, JavaType type) {
    HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT).GET().build();
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new TrackerUnavailableException("the tracker at " + base + " did not answer: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrackerUnavailableException("interrupted while asking the tracker", e);
    }
    if (response.statusCode() == 404) {
      return Optional.empty();
    }
    if (response.statusCode() != 200) {
      throw new TrackerUnavailableException("the tracker answered " + response.statusCode() + ": "
          + new String(response.body(), StandardCharsets.UTF_8), null);
    }
    try {
      return Optional.of(JSON.readValue(response.body(), type));
    } catch (IOException e) {
      throw new TrackerUnavailableException("cannot read the tracker's answer to " + path + ": " + e.getMessage(), e);
    }
  }

  /** Status cannot be read right now (tracker down or restoring): a 503 for the client, who may retry. */
  public static final class TrackerUnavailableException extends RuntimeException {
    TrackerUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
