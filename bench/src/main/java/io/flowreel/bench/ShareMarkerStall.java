package io.flowreel.bench;

import io.flowreel.infra.KafkaBroker;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What a transaction marker costs a share consumer set up as {@code StageWorker} sets up its own (explicit
 * acknowledgement, one record per poll, record-limit acquisition, read committed unless told), on the embedded broker, with
 * nothing else running. One record at a time is produced (in its own transaction, or plainly) and the time from
 * the producer's commit (or flush) returning to the consumer's {@code poll} returning the record is measured.
 * Then the consumer idles for 10 s and the process's CPU time is read: the price of polling in short slices.
 *
 * <p>On Kafka 4.4.0 a share fetch that acquires only a transaction's commit marker hands the application no
 * record, and the consumer sends no further fetch until the next {@code poll} call, so a record committed meanwhile
 * waits for the poll's time to run out. Usage: ShareMarkerStall [RECORDS] [SLICE_MS ...] (defaults 200; 500 20 5).
 */
public final class ShareMarkerStall {

  public static void main(String[] args) throws Exception {
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    List<Long> slices = args.length > 1
        ? Arrays.stream(args).skip(1).map(Long::parseLong).toList() : List.of(500L, 20L, 5L);
    Path dir = Files.createTempDirectory("flowreel-marker-stall");
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"))) {
      int run = 0;
      for (long slice : slices) {
        measure(broker.bootstrapServers(), "case-" + run++, true, "read_committed", slice, records);
      }
      // The marker, not the isolation level: reading uncommitted stalls the same way; plain records do not.
      measure(broker.bootstrapServers(), "case-" + run++, true, "read_uncommitted", slices.get(0), records);
      measure(broker.bootstrapServers(), "case-" + run, false, "read_committed", slices.get(0), records);
    }
  }

  private static void measure(String bootstrap, String name, boolean transactional, String isolation,
      long sliceMs, int records)
      throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
      admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, name), List.of(
          new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET),
          new AlterConfigOp(new ConfigEntry("share.isolation.level", isolation), AlterConfigOp.OpType.SET))))
          .all().get(30, TimeUnit.SECONDS);
    }
    Properties c = new Properties();
    c.put("bootstrap.servers", bootstrap);
    c.put("group.id", name);
    c.put("share.acknowledgement.mode", "explicit");
    c.put("max.poll.records", "1");
    c.put("share.acquire.mode", "record_limit");
    Map<String, Long> delivered = new ConcurrentHashMap<>();
    KafkaShareConsumer<String, String> consumer =
        new KafkaShareConsumer<>(c, new StringDeserializer(), new StringDeserializer());
    Thread poller = new Thread(() -> {
      consumer.subscribe(List.of(name));
      try {
        while (!Thread.currentThread().isInterrupted()) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(sliceMs))) {
            delivered.put(r.value(), System.nanoTime());
            consumer.acknowledge(r, AcknowledgeType.ACCEPT);
            consumer.commitAsync();
          }
        }
      } catch (org.apache.kafka.common.errors.InterruptException e) {
        // stopping
      } finally {
        consumer.close(Duration.ofSeconds(5));
      }
    }, "marker-stall-poll");
    poller.start();
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    if (transactional) {
      p.put("transactional.id", name);
    }
    double[] latency = new double[records];
    int lost = 0;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      if (transactional) {
        producer.initTransactions();
      }
      for (int i = -20; i < records; i++) { // 20 to warm up
        String value = name + "-" + i;
        if (transactional) {
          producer.beginTransaction();
        }
        producer.send(new ProducerRecord<>(name, "k", value));
        if (transactional) {
          producer.commitTransaction();
        } else {
          producer.flush();
        }
        long durable = System.nanoTime();
        long deadline = durable + TimeUnit.SECONDS.toNanos(5);
        while (!delivered.containsKey(value) && System.nanoTime() < deadline) {
          Thread.sleep(0, 200_000);
        }
        Long at = delivered.get(value);
        if (at == null) {
          lost++;
        } else if (i >= 0) {
          latency[i] = (at - durable) / 1e6;
        }
        Thread.sleep(5); // the next record comes after the consumer is back in poll
      }
    }
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpuBefore = os.getProcessCpuTime();
    long idleMs = 10_000;
    Thread.sleep(idleMs);
    double idleCpu = (os.getProcessCpuTime() - cpuBefore) / 1e6 / idleMs;
    poller.interrupt();
    poller.join(10_000);
    System.out.printf("{\"measurement\": \"share-marker-stall\", \"transactional\": %s, \"isolation\": \"%s\", \"poll_slice_ms\": %d, "
            + "\"records\": %d, \"not_delivered_within_5s\": %d, \"commit_to_poll_p50_ms\": %.1f, \"p90_ms\": %.1f, "
            + "\"p99_ms\": %.1f, \"idle_cpu_cores\": %.3f}%n", transactional, isolation, sliceMs, records, lost,
        Stats.percentile(latency, 50), Stats.percentile(latency, 90), Stats.percentile(latency, 99), idleCpu);
  }
}
