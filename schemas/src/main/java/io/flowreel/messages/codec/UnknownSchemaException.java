package io.flowreel.messages.codec;

/**
 * The writer used a schema this reader's catalogue does not know: usually a writer built from a
 * newer release than the reader. The record is intact; upgrading the reader and re-driving it
 * reads it.
 */
public class UnknownSchemaException extends MessageDecodeException {

  private static final long serialVersionUID = 1L;

  private final long fingerprint;

  public UnknownSchemaException(long fingerprint, String expectedType) {
    super(String.format("unknown schema fingerprint %s while reading %s: the writer used a schema"
        + " version this reader's catalogue does not know (a newer release?)",
        hex(fingerprint), expectedType));
    this.fingerprint = fingerprint;
  }

  /** The CRC-64-AVRO fingerprint of the writer's schema, as found in the payload. */
  public long fingerprint() {
    return fingerprint;
  }

  /** The fingerprint as Avro tools print it: 16 hex digits. */
  public static String hex(long fingerprint) {
    return String.format("%016x", fingerprint);
  }
}
