package io.flowreel.submission;

import java.util.OptionalInt;

/**
 * One reason a batch is refused, as a person reads it: {@code message} starts with where the
 * problem is ({@code jobs[3]: ...}, {@code jobs[2].width: ...}, {@code defaults.pack: ...}), and
 * {@code job} is the 0-based index of the job at fault, empty when the batch as a whole is.
 */
public record BatchProblem(OptionalInt job, String message) {

  public static BatchProblem ofJob(int job, String message) {
    return new BatchProblem(OptionalInt.of(job), message);
  }

  public static BatchProblem ofBatch(String message) {
    return new BatchProblem(OptionalInt.empty(), message);
  }

  @Override
  public String toString() {
    return message;
  }
}
