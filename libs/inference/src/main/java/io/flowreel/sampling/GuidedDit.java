package io.flowreel.sampling;

import static io.flowreel.pack.NetworkIo.LATENT;
import static io.flowreel.pack.NetworkIo.TIMESTEP;
import static io.flowreel.pack.NetworkIo.VELOCITY;

import io.flowreel.engine.Network;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Tensor;
import io.flowreel.text.TextConditioning;
import java.util.HashMap;
import java.util.Map;

/**
 * The DiT as a velocity field with classifier-free guidance: v = v_uncond + g (v_cond - v_uncond),
 * both halves in one batch of two. With guidance 1 the unconditional half is skipped.
 */
public final class GuidedDit implements VelocityField {

  private final Network dit;
  private final float guidance;
  private final TextConditioning text;

  public GuidedDit(Network dit, double guidance, TextConditioning conditional, TextConditioning unconditional) {
    this.dit = dit;
    this.guidance = (float) guidance;
    this.text = guidance == 1.0 ? conditional : TextConditioning.concat(conditional, unconditional);
  }

  @Override
  public FloatTensor velocity(FloatTensor x, float time) {
    boolean guided = guidance != 1.0f;
    int batch = guided ? 2 : 1;
    Map<String, Tensor> inputs = new HashMap<>(text.inputs());
    inputs.put(LATENT, guided ? FloatTensor.concat(x, x) : x);
    float[] t = new float[batch];
    java.util.Arrays.fill(t, time);
    inputs.put(TIMESTEP, new FloatTensor(new int[] {batch}, t));
    FloatTensor v = dit.run(inputs).get(VELOCITY);
    if (!guided) {
      return v;
    }
    int n = x.data().length;
    float[] both = v.data();
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      float cond = both[i];
      float uncond = both[n + i];
      out[i] = uncond + guidance * (cond - uncond);
    }
    return new FloatTensor(x.shape(), out);
  }
}
