package io.flowreel.pack;

import java.util.List;

/** A render request that cannot run as given; the message says what to change. */
public final class InvalidRenderException extends IllegalArgumentException {

  private final List<String> problems;

  public InvalidRenderException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
