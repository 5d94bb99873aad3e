package io.flowreel.contract;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What a reader does with a record it cannot decode (garbage, or a schema newer than the reader
 * knows): {@link #skip} logs it and dead-letters it to {@code flowreel.dlq.unreadable}, and the
 * reader goes on. One bad record must never stop a stream, nor hide the records behind it. The
 * record's key and bytes go as they were; the headers say where it came from, who could not read
 * it and why, so it can be inspected and re-driven.
 */
public final class UnreadableRecords implements AutoCloseable {

  public static final String SOURCE_TOPIC = "flowreel.source.topic";
  public static final String SOURCE_PARTITION = "flowreel.source.partition";
  public static final String SOURCE_OFFSET = "flowreel.source.offset";
  public static final String READER = "flowreel.reader";
  public static final String ERROR = "flowreel.error";
  public static final String ERROR_CLASS = "flowreel.error.class";

  private static final System.Logger LOG = System.getLogger(UnreadableRecords.class.getName());

  private final String reader;
  private final KafkaProducer<byte[], byte[]> producer;

  /** {@code reader} names whoever could not read a record (a worker, the gateway's event feed) in its dead letter. */
  public UnreadableRecords(String bootstrapServers, String reader) {
    this.reader = reader;
    this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Logs {@code record}, which could not be read because of {@code cause}, and dead-letters it; never blocks. */
  public void skip(ConsumerRecord<byte[], byte[]> record, Exception cause) {
    LOG.log(System.Logger.Level.WARNING, describe(record, cause));
    producer.send(deadLetter(record, reader, cause), (metadata, e) -> {
      if (e != null) {
        LOG.log(System.Logger.Level.WARNING, "cannot dead-letter " + record.topic() + "-" + record.partition()
            + "@" + record.offset() + ": " + e);
      }
    });
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }

  /** The dead letter of {@code record}, which {@code reader} could not decode because of {@code cause}. */
  public static ProducerRecord<byte[], byte[]> deadLetter(ConsumerRecord<byte[], byte[]> record, String reader,
      Exception cause) {
    ProducerRecord<byte[], byte[]> letter =
        new ProducerRecord<>(Topics.UNREADABLE.name(), record.key(), record.value());
    Headers headers = letter.headers();
    put(headers, SOURCE_TOPIC, record.topic());
    put(headers, SOURCE_PARTITION, Integer.toString(record.partition()));
    put(headers, SOURCE_OFFSET, Long.toString(record.offset()));
    put(headers, READER, reader);
    put(headers, ERROR, cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
    put(headers, ERROR_CLASS, cause.getClass().getName());
    return letter;
  }

  /** One line for a log: which record, and why it was skipped. */
  static String describe(ConsumerRecord<?, ?> record, Exception cause) {
    return "skipped unreadable record " + record.topic() + "-" + record.partition() + "@" + record.offset() + " ("
        + cause + "); dead-lettered to " + Topics.UNREADABLE.name();
  }

  private static void put(Headers headers, String name, String value) {
    headers.add(name, value.getBytes(StandardCharsets.UTF_8));
  }
}
