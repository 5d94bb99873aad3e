package io.flowreel.gateway;

import java.util.List;

/** A request the gateway refuses, with the HTTP status and a reason the client can act on. */
public class ApiException extends RuntimeException {

  private final int status;
  private final List<String> problems;
  /** Seconds after which the same request may succeed ({@code Retry-After}); 0: not said. */
  private final int retryAfterSeconds;

  public ApiException(int status, String reason) {
    this(status, reason, List.of());
  }

  public ApiException(int status, String reason, List<String> problems) {
    this(status, reason, problems, 0);
  }

  private ApiException(int status, String reason, List<String> problems, int retryAfterSeconds) {
    super(reason);
    this.status = status;
    this.problems = List.copyOf(problems);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public int status() {
    return status;
  }

  public List<String> problems() {
    return problems;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }

  static ApiException notFound(String reason) {
    return new ApiException(404, reason);
  }

  static ApiException conflict(String reason) {
    return new ApiException(409, reason);
  }

  static ApiException badRequest(String reason) {
    return new ApiException(400, reason);
  }

  static ApiException tooManyRequests(String reason, int retryAfterSeconds) {
    return new ApiException(429, reason, List.of(), retryAfterSeconds);
  }
}
