package io.flowreel.messages.codec;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityResult;

/**
 * Flowreel's schema rule as one function, shared by the gate and by the tests that prove the gate
 * can fail: every released named type must still exist, and each current type must read what its
 * released version wrote and the other way round.
 */
final class CompatibilityGate {

  private CompatibilityGate() {
  }

  /**
   * One line per problem; empty when {@code current} may replace {@code released}. A problem in a
   * nested type is reported for it and again for each type that contains it, with the path.
   */
  static List<String> problems(Map<String, Schema> current, Map<String, Schema> released) {
    // Avro reports a nested problem once per path that reaches it, often the same path twice.
    Set<String> problems = new LinkedHashSet<>();
    released.forEach((name, old) -> {
      Schema now = current.get(name);
      if (now == null) {
        problems.add(name + " was released and is missing now: readers of stored and in-flight"
            + " messages still need it");
        return;
      }
      check(now, old, name + ": the current schema cannot read what the released one wrote",
          problems);
      check(old, now, name + ": the released schema cannot read what the current one writes",
          problems);
    });
    return List.copyOf(problems);
  }

  private static void check(Schema reader, Schema writer, String what, Set<String> problems) {
    SchemaCompatibilityResult result =
        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getResult();
    for (Incompatibility incompatibility : result.getIncompatibilities()) {
      problems.add(what + ": " + incompatibility.getType() + " at " + incompatibility.getLocation()
          + " (" + incompatibility.getMessage() + ")");
    }
  }
}
