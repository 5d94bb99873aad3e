package io.flowreel.tracker.service;

import io.flowreel.contract.Topics;
import io.flowreel.tracker.BatchStatus;
import io.flowreel.tracker.JobStatus;
import io.flowreel.tracker.Retention;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.RemoveObjectsArgs;
import io.minio.Result;
import io.minio.messages.DeleteError;
import io.minio.messages.DeleteObject;
import io.minio.messages.Item;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.jboss.logging.Logger;

/**
 * The storage lifecycle: every {@code flowreel.retention.scan-interval} it applies {@link Retention}
 * to this instance's {@code jobs} store and deletes what fell due since the last scan: a finished
 * job's work objects ({@code jobs/<job>/} in the work bucket), a published job's outputs
 * ({@code outputs/<batch>/<job>.attempt-*}), and the job's and its finished batch's commands on the
 * compacted control topic (tombstones), so every worker's control view holds only unfinished work.
 *
 * <p>It lives in the tracker because the tracker alone knows when a job finished. S3Proxy (the
 * embedded S3 server) has no lifecycle rules, and a rule by object age alone would delete the work
 * of a job still waiting in a long queue. A scan that fails (S3 or the broker down) is repeated
 * whole next time: deletes and tombstones are idempotent. After a restart the first scan covers
 * every job already due.
 */
@Singleton
public class StorageJanitor {

  private static final Logger LOG = Logger.getLogger(StorageJanitor.class);

  private final TrackerStreams streams;
  private final TrackerConfig config;
  private final Retention retention;
  private final Counter workDeleted;
  private final Counter outputsDeleted;
  private final Counter tombstones;
  private MinioClient storage;
  private KafkaProducer<byte[], byte[]> producer;
  private ScheduledExecutorService scanner;
  /** The due times up to here are handled; only the scanning thread touches it. */
  private long scannedUpTo;

  StorageJanitor(TrackerStreams streams, TrackerConfig config, MeterRegistry metrics) {
    this.streams = streams;
    this.config = config;
    this.retention = new Retention(config.retention().work(), config.retention().outputs());
    this.workDeleted = Counter.builder("flowreel.storage.objects.deleted").tag("bucket", "work")
        .description("work objects of finished jobs deleted after flowreel.retention.work").register(metrics);
    this.outputsDeleted = Counter.builder("flowreel.storage.objects.deleted").tag("bucket", "output")
        .description("outputs deleted after flowreel.retention.outputs").register(metrics);
    this.tombstones = Counter.builder("flowreel.control.tombstones")
        .description("control commands of finished jobs and batches removed from the control topic").register(metrics);
  }

  void onStart(@Observes StartupEvent event) {
    storage = MinioClient.builder().endpoint(config.s3().endpoint()).region("us-east-1")
        .credentials(config.s3().accessKey(), config.s3().secretKey()).build();
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    scanner = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread thread = new Thread(task, "storage-janitor");
      thread.setDaemon(true);
      return thread;
    });
    long every = config.retention().scanInterval().toMillis();
    scanner.scheduleWithFixedDelay(this::scanOnce, every, every, TimeUnit.MILLISECONDS);
    LOG.infof("finished jobs' work objects are deleted %s after they end, published outputs after %s (scan every %d ms)",
        retention.work(), retention.outputs(), every);
  }

  void onStop(@Observes ShutdownEvent event) throws Exception {
    if (scanner != null) {
      scanner.shutdownNow();
      scanner.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (producer != null) {
      producer.close();
    }
    if (storage != null) {
      storage.close();
    }
  }

  private void scanOnce() {
    // An exception would end the scheduled scans for good: report it and try again next time.
    try {
      if (streams.state() != KafkaStreams.State.RUNNING) {
        return;
      }
      long now = System.currentTimeMillis();
      Set<String> batches = new LinkedHashSet<>();
      Set<String> draining = new HashSet<>();
      int jobs = 0;
      try (KeyValueIterator<String, JobStatus> all = streams.jobs().all()) {
        while (all.hasNext()) {
          JobStatus job = all.next().value;
          if (job.dropPending()) {
            draining.add(job.batchId());
          }
          if (retention.workDue(job, scannedUpTo, now)) {
            workDeleted.increment(delete(config.buckets().work(), "jobs/" + job.jobId() + "/"));
            if (Retention.mayHaveControlCommand(job)) {
              tombstone(job.jobId());
            }
            batches.add(job.batchId());
            jobs++;
          }
          if (retention.outputsDue(job, scannedUpTo, now)) {
            outputsDeleted.increment(delete(config.buckets().output(),
                "outputs/" + job.batchId() + "/" + job.jobId() + ".attempt-"));
          }
        }
      }
      // The last job of a batch to finish falls due last: by then the batch is done. A batch with a cancelled
      // job whose task still waits in a stage queue keeps its cancel until a stage has dropped that task.
      batches.removeAll(draining);
      for (String batchId : batches) {
        BatchStatus batch = streams.batches().get(batchId);
        if (batch != null && batch.cancelled() > 0 && batch.done() >= batch.total()) {
          tombstone(batchId);
        }
      }
      producer.flush();
      scannedUpTo = now;
      if (jobs > 0) {
        LOG.infof("storage lifecycle: work objects of %d finished jobs deleted", jobs);
      }
    } catch (InvalidStateStoreException e) {
      LOG.debugf("storage lifecycle scan skipped, stores not readable: %s", e.getMessage());
    } catch (Exception e) {
      LOG.warnf("storage lifecycle scan failed, repeated next time: %s", e.toString());
    }
  }

  /** Deletes every object under {@code prefix}; returns how many. */
  private int delete(String bucket, String prefix) throws Exception {
    List<DeleteObject> objects = new ArrayList<>();
    for (Result<Item> item : storage.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix)
        .recursive(true).build())) {
      objects.add(new DeleteObject(item.get().objectName()));
    }
    if (objects.isEmpty()) {
      return 0;
    }
    // removeObjects is lazy: the deletes happen while its results are read.
    for (Result<DeleteError> error : storage.removeObjects(RemoveObjectsArgs.builder().bucket(bucket)
        .objects(objects).build())) {
      DeleteError failed = error.get();
      throw new IllegalStateException("cannot delete " + bucket + "/" + failed.objectName() + ": " + failed.message());
    }
    return objects.size();
  }

  private void tombstone(String target) {
    producer.send(new ProducerRecord<>(Topics.CONTROL.name(), target.getBytes(StandardCharsets.UTF_8), null));
    tombstones.increment();
  }
}
