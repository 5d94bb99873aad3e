package io.flowreel.messages.codec;

/** A payload that cannot be read as the expected message; the message says why. */
public class MessageDecodeException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public MessageDecodeException(String message) {
    super(message);
  }

  public MessageDecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
