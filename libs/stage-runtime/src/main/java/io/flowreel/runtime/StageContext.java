package io.flowreel.runtime;

/** What a handler may ask of the runtime while it works on a task. */
public interface StageContext {

  ArtifactStore store();

  /** Bucket for intermediate artifacts. */
  String workBucket();

  /** Bucket for published clips. */
  String outputBucket();

  /**
   * Reports progress (for example denoising steps); the runtime turns it into throttled events and times the steps
   * between calls. A stage that reports steps calls it once before the first (with 0, or the step it resumes at).
   */
  void progress(int completed, int total);

  /** True once the job or its batch was cancelled, or the task superseded by a newer attempt. */
  boolean stopRequested();
}
