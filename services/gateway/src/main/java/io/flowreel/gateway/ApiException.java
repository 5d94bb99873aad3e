package io.flowreel.gateway;

import java.util.List;

/** A request the gateway refuses, with the HTTP status and a reason the client can act on. */
public class ApiException extends RuntimeException {

  private final int status;
  private final List<String> problems;

  public ApiException(int status, String reason) {
    this(status, reason, List.of());
  }

  public ApiException(int status, String reason, List<String> problems) {
    super(reason);
    this.status = status;
    this.problems = List.copyOf(problems);
  }

  public int status() {
    return status;
  }

  public List<String> problems() {
    return problems;
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
}
