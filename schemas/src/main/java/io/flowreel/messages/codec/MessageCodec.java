package io.flowreel.messages.codec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro single-object encoding of one message type: {@code C3 01}, the writer schema's 8-byte
 * CRC-64-AVRO fingerprint (little-endian), then the binary body. Writes with the current schema;
 * reads any version the {@link SchemaCatalogue} knows, resolved to the current classes.
 * Thread-safe.
 */
public final class MessageCodec<T extends SpecificRecord> {

  private static final int HEADER_LENGTH = 10;

  private final Schema schema;
  private final SchemaCatalogue catalogue;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  private MessageCodec(Class<T> type, SchemaCatalogue catalogue) {
    SpecificData model = SpecificData.getForClass(type);
    this.schema = model.getSchema(type);
    this.catalogue = catalogue;
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema, catalogue);
  }

  public static <T extends SpecificRecord> MessageCodec<T> of(
      Class<T> type, SchemaCatalogue catalogue) {
    return new MessageCodec<>(type, catalogue);
  }

  /** The current schema, which this codec writes. */
  public Schema schema() {
    return schema;
  }

  public byte[] encode(T message) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try {
      encoder.encode(message, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }

  /**
   * Reads a payload written with any known version of this message's schema.
   *
   * @throws UnknownSchemaException if no known version has the payload's fingerprint
   * @throws MessageDecodeException if the payload is not single-object encoded, is another
   *     message type, or its body is malformed
   */
  public T decode(byte[] payload) {
    long fingerprint = fingerprintOf(payload);
    Schema writer = catalogue.findByFingerprint(fingerprint);
    if (writer == null) {
      throw new UnknownSchemaException(fingerprint, schema.getFullName());
    }
    // Resolution would fail anyway, but with a message about fields instead of the real mistake.
    if (!writer.getFullName().equals(schema.getFullName())
        && !schema.getAliases().contains(writer.getFullName())) {
      throw new MessageDecodeException("payload is a " + writer.getFullName()
          + ", expected " + schema.getFullName() + " (message sent to the wrong topic?)");
    }
    try {
      return decoder.decode(payload);
    } catch (IOException | RuntimeException e) {
      throw new MessageDecodeException("malformed " + schema.getFullName() + " body (writer schema "
          + UnknownSchemaException.hex(fingerprint) + "): " + e, e);
    }
  }

  /** The writer schema's fingerprint from a single-object-encoded payload. */
  public static long fingerprintOf(byte[] payload) {
    if (payload.length < HEADER_LENGTH || payload[0] != (byte) 0xC3 || payload[1] != (byte) 0x01) {
      throw new MessageDecodeException("not an Avro single-object encoded message: expected marker"
          + " C3 01 and an 8-byte fingerprint, got " + payload.length + " bytes starting "
          + preview(payload));
    }
    return ByteBuffer.wrap(payload, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  private static String preview(byte[] payload) {
    StringBuilder hex = new StringBuilder();
    for (int i = 0; i < Math.min(payload.length, 4); i++) {
      hex.append(String.format("%02X ", payload[i]));
    }
    return hex.toString().strip();
  }
}
