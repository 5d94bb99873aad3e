package io.flowreel.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.engine.Network;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.Tensor;
import io.flowreel.text.TextConditioning;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuidedDitTest {

  /** A stand-in DiT whose velocity is the text input plus the time: cond and uncond rows differ. */
  private static final Network TEXT_ECHO = new Network() {
    @Override
    public String name() {
      return "echo";
    }

    @Override
    public Map<String, FloatTensor> run(Map<String, ? extends Tensor> inputs) {
      FloatTensor latent = (FloatTensor) inputs.get("latent");
      FloatTensor text = (FloatTensor) inputs.get("clip_pooled");
      float time = ((FloatTensor) inputs.get("timestep")).data()[0];
      int batch = latent.dim(0);
      int n = latent.data().length / batch;
      float[] v = new float[latent.data().length];
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < n; i++) {
          v[b * n + i] = text.data()[b] + time + latent.data()[b * n + i];
        }
      }
      return Map.of("velocity", new FloatTensor(latent.shape(), v));
    }
  };

  @Test
  void combinesConditionalAndUnconditionalVelocity() {
    TextConditioning cond = new TextConditioning(Map.of("clip_pooled", new FloatTensor(new int[] {1, 1}, new float[] {3f})));
    TextConditioning uncond = new TextConditioning(Map.of("clip_pooled", new FloatTensor(new int[] {1, 1}, new float[] {1f})));
    FloatTensor x = new FloatTensor(new int[] {1, 2}, new float[] {0.5f, -0.5f});
    FloatTensor v = new GuidedDit(TEXT_ECHO, 4.0, cond, uncond).velocity(x, 0.25f);
    // v_u = 1 + 0.25 + x, v_c = 3 + 0.25 + x, v = v_u + 4 (v_c - v_u) = v_u + 8
    assertThat(v.data()).containsExactly(9.75f, 8.75f);
  }

  @Test
  void guidanceOneRunsOnlyTheConditionalRow() {
    TextConditioning cond = new TextConditioning(Map.of("clip_pooled", new FloatTensor(new int[] {1, 1}, new float[] {3f})));
    FloatTensor x = new FloatTensor(new int[] {1, 1}, new float[] {1f});
    assertThat(new GuidedDit(TEXT_ECHO, 1.0, cond, null).velocity(x, 0f).data()).containsExactly(4f);
  }
}
