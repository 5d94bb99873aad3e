package io.flowreel.submission;

import java.util.List;

/** A batch refused as a whole: nothing of it was accepted. The problems say what to change. */
public final class InvalidBatchException extends IllegalArgumentException {

  private final List<BatchProblem> problems;

  public InvalidBatchException(List<BatchProblem> problems) {
    super(String.join("; ", problems.stream().map(BatchProblem::message).toList()));
    this.problems = List.copyOf(problems);
  }

  public List<BatchProblem> problems() {
    return problems;
  }
}
