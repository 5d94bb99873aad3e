package io.flowreel.runtime;

import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import java.util.List;
import java.util.Optional;

/**
 * One stage's work on one task, framework-free: read the inputs the task references, compute,
 * store the outputs and say what to append to the task. Everything around it (queues, retries,
 * events, fencing, cancellation) is {@link StageWorker}'s.
 */
public interface StageHandler {

  Stage stage();

  Result handle(RenderTask task, StageContext context) throws Exception;

  /**
   * The inference engine this stage runs its networks on ({@code onnxruntime}, {@code tensorrt}),
   * recorded on the task so the published manifest says which engine ran each stage; empty for a
   * stage without networks.
   */
  default Optional<String> engine() {
    return Optional.empty();
  }

  /** Artifacts to append to the task, and the rewritten prompt when this stage produced one. */
  record Result(List<Artifact> artifacts, String rewrittenPrompt) {
    public Result {
      artifacts = List.copyOf(artifacts);
    }

    public static Result of(Artifact... artifacts) {
      return new Result(List.of(artifacts), null);
    }
  }
}
