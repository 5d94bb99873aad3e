package io.flowreel.service.testing;

import io.flowreel.runtime.ArtifactStore;
import io.flowreel.runtime.StageContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntPredicate;

/** The runtime's side of a handler call, without Kafka: a real store, recorded progress, a stop switch. */
public final class FakeStageContext implements StageContext {

  public static final String WORK = "flowreel-work";
  public static final String OUTPUT = "flowreel-output";

  private final ArtifactStore store;
  private final IntPredicate stopAfterStep;
  /** Every step reported through {@link #progress}, in order. */
  public final List<Integer> progress = new CopyOnWriteArrayList<>();

  /** {@code stopAfterStep}: given the last reported step, whether a stop has been requested. */
  public FakeStageContext(ArtifactStore store, IntPredicate stopAfterStep) {
    this.store = store;
    this.stopAfterStep = stopAfterStep;
  }

  public FakeStageContext(ArtifactStore store) {
    this(store, step -> false);
  }

  @Override
  public ArtifactStore store() {
    return store;
  }

  @Override
  public String workBucket() {
    return WORK;
  }

  @Override
  public String outputBucket() {
    return OUTPUT;
  }

  @Override
  public void progress(int completed, int total) {
    progress.add(completed);
  }

  @Override
  public boolean stopRequested() {
    return stopAfterStep.test(progress.isEmpty() ? 0 : progress.get(progress.size() - 1));
  }
}
