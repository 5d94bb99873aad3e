package io.flowreel.tensor;

import java.io.IOException;

/**
 * Bytes that are not a well-formed safetensors file; the message names the tensor and the fault.
 * An {@link IOException} like other malformed-input errors, so a caller that retries I/O must catch
 * this first: reading the same bytes again cannot help.
 */
public final class SafeTensorsException extends IOException {

  public SafeTensorsException(String message) {
    super(message);
  }

  public SafeTensorsException(String message, Throwable cause) {
    super(message, cause);
  }
}
