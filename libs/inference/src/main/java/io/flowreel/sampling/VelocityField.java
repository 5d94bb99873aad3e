package io.flowreel.sampling;

import io.flowreel.tensor.FloatTensor;

/** The velocity v(x, s) ~ noise - data that the sampler integrates from s = 1 to s = 0. */
@FunctionalInterface
public interface VelocityField {
  FloatTensor velocity(FloatTensor x, float time);
}
