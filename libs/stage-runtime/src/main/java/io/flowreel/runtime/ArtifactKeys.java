package io.flowreel.runtime;

import java.util.regex.Pattern;

/**
 * Object keys are a pure function of (job, attempt, stage, name): a redelivered task rewrites the
 * same objects with the same bytes, and a late result of a superseded attempt lands beside the new
 * attempt's objects instead of over them.
 */
public final class ArtifactKeys {

  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private ArtifactKeys() {}

  public static String key(String jobId, int attempt, String stage, String name, Artifact.Format format) {
    for (String part : new String[] {jobId, stage, name}) {
      if (part == null || !SAFE.matcher(part).matches()) {
        throw new IllegalArgumentException("'" + part + "' cannot be part of an object key: use 1-128 letters, digits, "
            + "'.', '_' or '-'");
      }
    }
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be at least 1, was " + attempt);
    }
    return "jobs/" + jobId + "/attempt-" + attempt + "/" + stage + "/" + name + "." + format.extension();
  }
}
