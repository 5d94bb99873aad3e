package io.flowreel.pack;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;

/** A pack that cannot be used; the message names every file or field at fault and why. */
public final class PackException extends RuntimeException {

  private final List<String> problems;

  public PackException(Path pack, List<String> problems) {
    super(message(pack, distinct(problems)));
    this.problems = distinct(problems);
  }

  public List<String> problems() {
    return problems;
  }

  private static List<String> distinct(List<String> problems) {
    return List.copyOf(new LinkedHashSet<>(problems));
  }

  private static String message(Path pack, List<String> problems) {
    return "model pack " + pack + " is broken:\n  - " + String.join("\n  - ", problems);
  }
}
