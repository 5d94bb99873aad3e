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
import jakarta.ws.rs.sse.SseBroadcaster;
import jakarta.ws.rs.sse.SseEventSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Server-sent event streams of a job or a batch. Each stream first sends the current status
 * ({@code status} for a job, {@code batch} for a batch), then every stage event as it happens
 * (event name = the type in lowercase: {@code started}, {@code progress}, {@code succeeded} ...),
 * and after a job finishes its final status; it ends when the job, or every job of the batch,
 * has finished. A job's stream skips the late events of an attempt that a retry superseded. A
 * comment line every 15 s keeps idle connections open through proxies.
 *
 * <p>No stream holds a thread, so open streams cost memory, not threads: the feed's thread hands
 * each event to its streams, which pass it to the connection without waiting for the client. The
 * keep-alives and the tracker reads after a job's end run on two threads that every stream shares.
 * A client that leaves {@value #MAX_UNSENT} events untaken is cut off rather than buffered for:
 * it reconnects and starts again from the current status, so it misses nothing. Streams are
 * capped per tenant and in total ({@link StreamSlots}); a stream gives its slot back however it
 * ends (finished, client gone, cut off, error).
 */
@Singleton
public class EventStreams {

  private static final Logger LOG = Logger.getLogger(EventStreams.class);
  private static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
  /** How long to wait for the tracker to fold a terminal event the stream has already seen. */
  private static final Duration TRACKER_CATCH_UP = Duration.ofSeconds(5);
  /** How often the tracker is read again while it catches up with a job's end. */
  private static final Duration RECHECK = Duration.ofMillis(250);
  /** When to look whether a client left before the connection could tell its stream (see {@link Stream#open}). */
  private static final Duration LEFT_EARLY = Duration.ofSeconds(1);
  /** Events a client may leave untaken (in flight, or queued by the connection) before it is cut off. */
  static final int MAX_UNSENT = 256;

  private final EventFeed feed;
  private final TrackerClient tracker;
  private final ObjectMapper json;
  private final StreamSlots slots;
  private final ScheduledThreadPoolExecutor timers;

  EventStreams(EventFeed feed, TrackerClient tracker, ObjectMapper json, GatewayConfig config) {
    this.feed = feed;
    this.tracker = tracker;
    this.json = json;
    this.slots = new StreamSlots(config.gateway().maxEventStreamsPerTenant(), config.gateway().maxEventStreams());
    AtomicInteger threads = new AtomicInteger();
    this.timers = new ScheduledThreadPoolExecutor(2, r -> {
      Thread t = new Thread(r, "event-streams-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    timers.setRemoveOnCancelPolicy(true); // an ended stream's keep-alive leaves the queue at once
  }

  void onStop(@Observes ShutdownEvent event) {
    timers.shutdownNow();
  }

  /** How many streams are open on this gateway. */
  int open() {
    return slots.open();
  }

  /** Streams one job; answers 429 over a cap and 404 for an unknown job, both before the stream opens. */
  public void job(String jobId, Caller caller, Views views, SseEventSink sink, Sse sse) {
    JobStream stream = new JobStream(jobId, views, sink, sse, slots.take(caller.tenant(), "/v1/jobs/" + jobId));
    stream.open(stream.subscribe(jobId, () -> views.jobStatus(jobId, caller)));
  }

  /**
   * Streams one batch: every event of its jobs, and its counts again whenever they change after a
   * job finished. The counts come from the tracker's batch table, which lags its job table (a
   * repartition step), so after a job's end they are read again for a few seconds until they move.
   */
  public void batch(String batchId, Caller caller, Views views, SseEventSink sink, Sse sse) {
    BatchStream stream = new BatchStream(batchId, caller, views, sink, sse,
        slots.take(caller.tenant(), "/v1/batches/" + batchId));
    stream.open(stream.subscribe(batchId, () -> views.batch(batchId, caller)));
  }

  static boolean endsJob(StageEvent event) {
    StageEventType type = event.getType();
    return type == StageEventType.FAILED || type == StageEventType.DEAD_LETTERED || type == StageEventType.CANCELLED
        || (type == StageEventType.SUCCEEDED && event.getStage() == Stage.PUBLISH);
  }

  private static String name(StageEvent event) {
    return event.getType().name().toLowerCase(Locale.ROOT);
  }

  /**
   * One client's stream. Sends are made under the stream's lock, so they reach the connection in
   * order, and never wait for the client. {@link #end} takes no lock: the connection calls it from
   * its event loop when the client goes.
   */
  private abstract class Stream {

    final String what;
    final SseEventSink sink;
    final Sse sse;
    private final Runnable release;
    final AtomicBoolean ended = new AtomicBoolean();
    private final AtomicInteger unsent = new AtomicInteger();
    private volatile AutoCloseable subscription = () -> { };
    private volatile ScheduledFuture<?> keepAlive;
    /** Events that came before the first message was sent; null once it was. */
    private List<StageEvent> early = new ArrayList<>();
    private boolean lagging;

    Stream(String what, SseEventSink sink, Sse sse, Runnable release) {
      this.what = what;
      this.sink = sink;
      this.sse = sse;
      this.release = release;
    }

    /** What to do with one event once the first message was sent; called under the lock. */
    abstract void handle(StageEvent event);

    /**
     * Subscribes, then reads the first message: in this order no event falls between the two. A
     * failed read (404, tracker down) gives the slot back and is answered as an error.
     */
    <T> T subscribe(String id, Supplier<T> first) {
      subscription = feed.subscribe(id, this::accept);
      try {
        return first.get();
      } catch (RuntimeException e) {
        if (ended.compareAndSet(false, true)) {
          release.run();
          unsubscribe();
        }
        throw e;
      }
    }

    /** Sends the first message and what came meanwhile; ends the stream at once if {@code finished}. */
    synchronized void open(String name, Object first, boolean finished) {
      SseBroadcaster closes = sse.newBroadcaster(); // tells this stream when its client goes
      closes.onClose(s -> end());
      closes.register(sink);
      send(name, first);
      if (finished || lagging) {
        if (lagging) {
          LOG.infof("closing the event stream of %s: more than %d events came while it opened", what, MAX_UNSENT);
        }
        end();
        return;
      }
      List<StageEvent> seen = early;
      early = null;
      seen.forEach(this::handle);
      // The connection tells the broadcaster of a client that goes only once this request has
      // returned; one that went before is found closed here, or at the latest by a keep-alive.
      later(() -> {
        if (sink.isClosed()) {
          end();
        }
      }, LEFT_EARLY);
      ScheduledFuture<?> timer = timers.scheduleWithFixedDelay(this::keepAlive, KEEP_ALIVE.toMillis(),
          KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
      keepAlive = timer;
      if (ended.get()) { // ended meanwhile: end() may not have seen the timer
        timer.cancel(false);
      }
    }

    /** From the feed's thread: must neither block nor throw. */
    private synchronized void accept(StageEvent event) {
      try {
        if (ended.get()) {
          return;
        }
        if (early == null) {
          handle(event);
        } else if (early.size() < MAX_UNSENT) {
          early.add(event);
        } else {
          lagging = true;
        }
      } catch (RuntimeException e) {
        LOG.warnf("event stream of %s ended: %s", what, e);
        end();
      }
    }

    synchronized void send(String name, Object data) {
      String text;
      try {
        text = json.writeValueAsString(data);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("cannot write " + data.getClass().getSimpleName() + " as JSON", e);
      }
      send(sse.newEventBuilder().name(name).mediaType(MediaType.TEXT_PLAIN_TYPE).data(text).build());
    }

    private synchronized void keepAlive() {
      send(sse.newEventBuilder().comment("keep-alive").build());
    }

    private synchronized void send(OutboundSseEvent event) {
      if (ended.get()) {
        return;
      }
      if (unsent.get() >= MAX_UNSENT) {
        LOG.infof("closing the event stream of %s: its client left %d events untaken", what, MAX_UNSENT);
        end();
        return;
      }
      unsent.incrementAndGet();
      CompletionStage<?> sending;
      try {
        sending = sink.send(event);
      } catch (RuntimeException e) { // the connection has closed
        unsent.decrementAndGet();
        end();
        return;
      }
      sending.whenComplete((ok, failed) -> {
        unsent.decrementAndGet();
        if (failed != null) {
          end();
        }
      });
    }

    /** Ends the stream once, however it ends, and gives its slot back. */
    final void end() {
      if (!ended.compareAndSet(false, true)) {
        return;
      }
      release.run();
      unsubscribe();
      ScheduledFuture<?> timer = keepAlive;
      if (timer != null) {
        timer.cancel(false);
      }
      try {
        sink.close();
      } catch (RuntimeException e) {
        LOG.debugf("closing the event stream of %s: %s", what, e);
      }
    }

    /** Runs {@code step} on the shared timers after {@code delay}; a failure ends the stream. */
    void later(Runnable step, Duration delay) {
      timers.schedule(() -> {
        try {
          step.run();
        } catch (RuntimeException e) {
          LOG.warnf("event stream of %s ended: %s", what, e.getMessage());
          end();
        }
      }, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void unsubscribe() {
      try {
        subscription.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private final class JobStream extends Stream {

    private final String jobId;
    private final Views views;
    private int attempt;
    private boolean finishing;

    JobStream(String jobId, Views views, SseEventSink sink, Sse sse, Runnable release) {
      super("job " + jobId, sink, sse, release);
      this.jobId = jobId;
      this.views = views;
    }

    synchronized void open(JobStatus status) {
      attempt = status.attempt();
      open("status", views.job(status), status.state().isTerminal());
    }

    @Override
    void handle(StageEvent event) {
      if (finishing || event.getAttempt() < attempt) {
        return; // the job has ended, or a superseded attempt's late event
      }
      attempt = event.getAttempt();
      send(name(event), ApiModel.Event.of(event));
      if (endsJob(event)) {
        finishing = true;
        int finished = attempt;
        long deadline = System.nanoTime() + TRACKER_CATCH_UP.toNanos();
        later(() -> finalStatus(finished, deadline), Duration.ZERO);
      }
    }

    /** Sends the job's status once the tracker has folded its end (or what it has after 5 s), then ends. */
    private void finalStatus(int finished, long deadline) {
      if (ended.get()) {
        return;
      }
      JobStatus last = tracker.job(jobId).orElse(null);
      boolean folded = last != null && last.attempt() >= finished && last.state().isTerminal();
      if (!folded && System.nanoTime() < deadline) {
        later(() -> finalStatus(finished, deadline), RECHECK);
        return;
      }
      if (last != null) {
        send("status", views.job(last));
      }
      end();
    }
  }

  private final class BatchStream extends Stream {

    private final String batchId;
    private final Caller caller;
    private final Views views;
    private ApiModel.Batch sent;
    private long recountUntil;
    private boolean recounting;

    BatchStream(String batchId, Caller caller, Views views, SseEventSink sink, Sse sse, Runnable release) {
      super("batch " + batchId, sink, sse, release);
      this.batchId = batchId;
      this.caller = caller;
      this.views = views;
    }

    synchronized void open(ApiModel.Batch first) {
      sent = first;
      open("batch", first, first.done() >= first.total());
    }

    @Override
    void handle(StageEvent event) {
      send(name(event), ApiModel.Event.of(event));
      if (endsJob(event)) {
        recountUntil = System.nanoTime() + TRACKER_CATCH_UP.toNanos();
        if (!recounting) {
          recounting = true;
          later(this::recount, RECHECK);
        }
      }
    }

    /** Sends the counts when they moved; ends once every job has finished. */
    private void recount() {
      if (ended.get()) {
        return;
      }
      ApiModel.Batch counts = views.batch(batchId, caller); // outside the lock: the feed never waits for it
      synchronized (this) {
        if (!counts.equals(sent)) {
          send("batch", counts);
          sent = counts;
        }
        if (counts.done() >= counts.total()) {
          end();
        } else if (System.nanoTime() < recountUntil) {
          later(this::recount, RECHECK);
        } else {
          recounting = false;
        }
      }
    }
  }
}
