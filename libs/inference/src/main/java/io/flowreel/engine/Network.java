package io.flowreel.engine;

import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Tensor;
import java.util.Map;

/** One network of a pack, opened on an engine; safe to call from several threads. */
public interface Network {

  String name();

  /** Runs the network on named inputs and returns every float output by name. */
  Map<String, FloatTensor> run(Map<String, ? extends Tensor> inputs);
}
