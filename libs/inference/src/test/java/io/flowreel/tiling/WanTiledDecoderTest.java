package io.flowreel.tiling;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.DecoderSpec;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.SafeTensors;
import io.flowreel.tensor.Tensor;
import io.flowreel.testing.WanPack;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The reduced Wan2.1 pack's decoder: latent 0 through its first network, the rest streamed in chunks
 * with the caches carried, must give the official whole-video decode (reference/decoder_video).
 */
class WanTiledDecoderTest {

  private final ModelPack pack = WanPack.get();
  private final DecoderSpec spec = pack.manifest().decoder();
  private final OnnxRuntimeEngine engine = OnnxRuntimeEngine.forPack(pack);

  @Test
  void chunkedDecodeReproducesTheOfficialWholeVideoDecode() throws IOException {
    Map<String, Tensor> saved = SafeTensors.read(pack.file("reference/decoder_video.safetensors"));
    FloatTensor latent = (FloatTensor) saved.get("inputs.latent");
    FloatTensor official = (FloatTensor) saved.get("outputs.frames");
    // [1, 3, 13, H, W] as the frame-major [13, 3, H, W] the sink receives.
    FloatTensor want = Crops.channelsToFrames(official.data(), official.dim(2), official.dim(3), official.dim(4));

    List<TiledDecoder.Options> plans = new ArrayList<>(List.of(TiledDecoder.Options.untiled()));
    for (int chunk : new int[] {1, 2, 3}) {
      // Small tiles on purpose: a whole-frame decoder must ignore them.
      plans.add(new TiledDecoder.Options(2, 1, chunk));
    }
    for (TiledDecoder.Options options : plans) {
      FloatTensor frames = decode(latent, options);
      assertThat(frames.shape()).containsExactly(13, 3, 16, 24);
      assertThat(frames.maxAbsDifference(want)).as("%s", options).isLessThanOrEqualTo(1e-4f);
    }
  }

  @Test
  void latentZeroIsDecodedAloneAndTheRestInChunks() {
    assertThat(TiledDecoder.chunks(spec, 2, 4)).containsExactly(new TiledDecoder.Chunk(0, 1, true),
        new TiledDecoder.Chunk(1, 3, false), new TiledDecoder.Chunk(3, 4, false));
    assertThat(TiledDecoder.chunks(spec, 4, 1)).containsExactly(new TiledDecoder.Chunk(0, 1, true));
    assertThat(TiledDecoder.chunks(spec, 2, 4)).extracting(c -> c.frames(spec)).containsExactly(1, 8, 4);
    assertThat(TiledDecoder.Options.defaults(spec).overlap()).isZero();
  }

  private FloatTensor decode(FloatTensor latent, TiledDecoder.Options options) {
    List<FloatTensor> chunks = new ArrayList<>();
    int[] next = {0};
    TiledDecoder.forPack(pack, engine, options).decode(latent, (first, frames) -> {
      assertThat(first).as("first frame of a chunk").isEqualTo(next[0]);
      next[0] += frames.dim(0);
      chunks.add(frames);
    });
    return FloatTensor.concat(chunks.toArray(FloatTensor[]::new));
  }
}
