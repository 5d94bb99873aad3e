package io.flowreel.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import io.flowreel.tracker.JobStatus;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Server-sent event streams of a job or a batch. Each stream first sends the current status
 * ({@code status} for a job, {@code batch} for a batch), then every stage event as it happens
 * (event name = the type in lowercase: {@code started}, {@code progress}, {@code succeeded} ...),
 * and after a job finishes its final status; it ends when the job, or every job of the batch,
 * has finished. A comment line every 15 s keeps idle connections open through proxies.
 */
@Singleton
public class EventStreams {

  private static final Logger LOG = Logger.getLogger(EventStreams.class);
  private static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
  /** How long to wait for the tracker to fold a terminal event the stream has already seen. */
  private static final Duration TRACKER_CATCH_UP = Duration.ofSeconds(5);
  /** How often a batch's counts are read again while the tracker catches up with a job's end. */
  private static final Duration RECOUNT_INTERVAL = Duration.ofMillis(250);

  private final EventFeed feed;
  private final TrackerClient tracker;
  private final ObjectMapper json;
  private final ExecutorService streams = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "event-stream");
    t.setDaemon(true);
    return t;
  });

  EventStreams(EventFeed feed, TrackerClient tracker, ObjectMapper json) {
    this.feed = feed;
    this.tracker = tracker;
    this.json = json;
  }

  void onStop(@Observes ShutdownEvent event) {
    streams.shutdownNow();
  }

  /** Streams one job; answers 404 (before the stream opens) for an unknown job. */
  public void job(String jobId, Caller caller, Views views, SseEventSink sink, Sse sse) {
    BlockingQueue<StageEvent> queue = new LinkedBlockingQueue<>();
    // Subscribe before reading the status, so no event falls between the two.
    AutoCloseable subscription = feed.subscribe(jobId, queue::add);
    JobStatus status;
    try {
      status = views.jobStatus(jobId, caller);
    } catch (RuntimeException e) {
      close(subscription);
      throw e;
    }
    streams.submit(() -> {
      try (sink) {
        if (!send(sink, sse, "status", views.job(status)) || status.state().isTerminal()) {
          return;
        }
        int attempt = status.attempt();
        while (!sink.isClosed()) {
          StageEvent event = queue.poll(KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
          if (event == null) {
            if (!keepAlive(sink, sse)) {
              return;
            }
            continue;
          }
          if (event.getAttempt() < attempt) {
            continue; // a superseded attempt's late event
          }
          attempt = event.getAttempt();
          if (!send(sink, sse, name(event), ApiModel.Event.of(event))) {
            return;
          }
          if (endsJob(event)) {
            int finished = attempt;
            JobStatus last = TrackerClient.await(() -> tracker.job(jobId).orElse(null),
                j -> j != null && j.attempt() >= finished && j.state().isTerminal(), TRACKER_CATCH_UP);
            if (last != null) {
              send(sink, sse, "status", views.job(last));
            }
            return;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        LOG.warnf("event stream of job %s ended: %s", jobId, e.getMessage());
      } finally {
        close(subscription);
      }
    });
  }

  /**
   * Streams one batch: every event of its jobs, and its counts again whenever they change after a
   * job finished. The counts come from the tracker's batch table, which lags its job table (a
   * repartition step), so after a job's end they are read again for a few seconds until they move.
   */
  public void batch(String batchId, Caller caller, Views views, SseEventSink sink, Sse sse) {
    BlockingQueue<StageEvent> queue = new LinkedBlockingQueue<>();
    AutoCloseable subscription = feed.subscribe(batchId, queue::add);
    ApiModel.Batch first;
    try {
      first = views.batch(batchId, caller);
    } catch (RuntimeException e) {
      close(subscription);
      throw e;
    }
    streams.submit(() -> {
      try (sink) {
        if (!send(sink, sse, "batch", first) || first.done() >= first.total()) {
          return;
        }
        ApiModel.Batch sent = first;
        long lastWrite = System.nanoTime();
        long recountUntil = 0;
        while (!sink.isClosed()) {
          boolean recounting = System.nanoTime() < recountUntil;
          StageEvent event = queue.poll(recounting ? RECOUNT_INTERVAL.toMillis() : KEEP_ALIVE.toMillis(),
              TimeUnit.MILLISECONDS);
          if (event != null) {
            if (!send(sink, sse, name(event), ApiModel.Event.of(event))) {
              return;
            }
            lastWrite = System.nanoTime();
            if (endsJob(event)) {
              recountUntil = System.nanoTime() + TRACKER_CATCH_UP.toNanos();
            }
          }
          if (System.nanoTime() < recountUntil && queue.isEmpty()) {
            ApiModel.Batch counts = views.batch(batchId, caller);
            if (!counts.equals(sent)) {
              if (!send(sink, sse, "batch", counts)) {
                return;
              }
              sent = counts;
              lastWrite = System.nanoTime();
            }
            if (counts.done() >= counts.total()) {
              return;
            }
          } else if (event == null && System.nanoTime() - lastWrite >= KEEP_ALIVE.toNanos()) {
            if (!keepAlive(sink, sse)) {
              return;
            }
            lastWrite = System.nanoTime();
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        LOG.warnf("event stream of batch %s ended: %s", batchId, e.getMessage());
      } finally {
        close(subscription);
      }
    });
  }

  static boolean endsJob(StageEvent event) {
    StageEventType type = event.getType();
    return type == StageEventType.FAILED || type == StageEventType.DEAD_LETTERED || type == StageEventType.CANCELLED
        || (type == StageEventType.SUCCEEDED && event.getStage() == Stage.PUBLISH);
  }

  private static String name(StageEvent event) {
    return event.getType().name().toLowerCase(Locale.ROOT);
  }

  /** Sends one event; false when the client has gone. */
  private boolean send(SseEventSink sink, Sse sse, String name, Object data) {
    try {
      OutboundSseEvent event = sse.newEventBuilder().name(name).mediaType(MediaType.TEXT_PLAIN_TYPE)
          .data(json.writeValueAsString(data)).build();
      sink.send(event).toCompletableFuture().get(10, TimeUnit.SECONDS);
      return true;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + data.getClass().getSimpleName() + " as JSON", e);
    } catch (Exception e) {
      return false;
    }
  }

  private static boolean keepAlive(SseEventSink sink, Sse sse) {
    try {
      sink.send(sse.newEventBuilder().comment("keep-alive").build()).toCompletableFuture().get(10, TimeUnit.SECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private static void close(AutoCloseable subscription) {
    try {
      subscription.close();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
