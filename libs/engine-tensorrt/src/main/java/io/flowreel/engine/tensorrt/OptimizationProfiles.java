package io.flowreel.engine.tensorrt;

import static io.flowreel.pack.NetworkIo.FRAMES;
import static io.flowreel.pack.NetworkIo.INPUT_IDS;
import static io.flowreel.pack.NetworkIo.LATENT;

import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest;
import io.flowreel.pack.PackManifest.DecoderSpec;
import io.flowreel.pack.ShapeBucket;
import io.flowreel.pack.ShapeBuckets;
import io.flowreel.pack.SizeRules;
import io.flowreel.pack.TensorSpec;
import io.flowreel.tiling.TilePlan;
import io.flowreel.tiling.TiledDecoder;
import io.flowreel.tiling.TiledUpsampler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The optimization profiles of each network of a pack, derived from the shape buckets and from how
 * the stages call the networks: the DiT takes the whole latent with a batch of 2 (guidance; 1 when
 * guidance is off), the decoder takes spatial tiles of temporal chunks with their caches (and its
 * first network, where the pack has one, latent 0 alone in the same tiles), the upsampler the
 * decoder's chunks of frames in its own tiles, the text encoders one prompt at a time.
 *
 * <p>Each dimension the manifest names ({@code "t"}, {@code "h"}...) gets one range per network,
 * read from the position of that name in the network's main input; fixed dimensions stay fixed.
 * So the caches of the decoder follow its latent tile, as they must (times their scale, for caches
 * a decoder keeps at the higher resolutions it upsamples to inside).
 */
public final class OptimizationProfiles {

  /** min, opt and max of one dimension. */
  private record Dim(int min, int opt, int max) {
    static Dim fixed(int size) {
      return new Dim(size, size, size);
    }

    /** The sizes a call may have; opt is the largest, the size most calls have. */
    static Dim of(List<Integer> sizes) {
      int min = sizes.stream().mapToInt(Integer::intValue).min().orElseThrow();
      int max = sizes.stream().mapToInt(Integer::intValue).max().orElseThrow();
      return new Dim(min, max, max);
    }

    Dim times(int scale) {
      return new Dim(min * scale, opt * scale, max * scale);
    }
  }

  private final ModelPack pack;
  private final PackManifest m;
  private final TiledDecoder.Options decoding;
  private final TiledUpsampler.Options upsampling;

  /** {@code decoding}: the tiling the decode stage uses, which fixes the decoder's (and upsampler's) input sizes. */
  public OptimizationProfiles(ModelPack pack, TiledDecoder.Options decoding) {
    this.pack = pack;
    this.m = pack.manifest();
    this.decoding = decoding.appliedTo(m.decoder());
    this.upsampling = m.hasUpsampler() ? TiledUpsampler.Options.defaults(m.upsampler()) : null;
  }

  /** One profile per bucket, or one for all when the network's shapes do not depend on the bucket. */
  public List<Profile> forNetwork(String network, ShapeBuckets buckets) {
    if (m.textEncoders().stream().anyMatch(e -> e.network().equals(network))) {
      return List.of(profile(network, Profile.ANY, INPUT_IDS, positions(Dim.fixed(1))));
    }
    List<Profile> profiles = new ArrayList<>();
    for (ShapeBucket bucket : buckets.buckets()) {
      profiles.add(forBucket(network, bucket.toString(), buckets.geometry(bucket)));
    }
    return profiles;
  }

  private Profile forBucket(String network, String label, SizeRules.Geometry g) {
    DecoderSpec decoder = m.decoder();
    if (network.equals(m.dit().network())) {
      return profile(network, label, LATENT, positions(new Dim(1, 2, 2), null, Dim.fixed(g.latentFrames()),
          Dim.fixed(g.latentHeight()), Dim.fixed(g.latentWidth())));
    }
    Dim h = Dim.of(tiles(g.latentHeight(), decoding.tile(), decoding.overlap()));
    Dim w = Dim.of(tiles(g.latentWidth(), decoding.tile(), decoding.overlap()));
    if (network.equals(decoder.network())) {
      // A video of one latent never reaches it when a first network decodes latent 0: any t will do.
      List<Integer> chunks = decoderChunks(g.latentFrames()).stream().filter(c -> !c.first())
          .map(TiledDecoder.Chunk::latents).toList();
      Dim t = Dim.of(chunks.isEmpty() ? List.of(1) : chunks);
      return profile(network, label, LATENT, positions(Dim.fixed(1), null, t, h, w), cacheDims(network, h, w));
    }
    if (network.equals(decoder.firstNetwork())) {
      return profile(network, label, LATENT, positions(Dim.fixed(1), null, Dim.fixed(1), h, w));
    }
    if (m.hasUpsampler() && network.equals(m.upsampler().network())) {
      List<Integer> frames = decoderChunks(g.latentFrames()).stream().map(c -> c.frames(decoder)).toList();
      return profile(network, label, FRAMES, positions(Dim.of(frames), null,
          Dim.of(tiles(g.decodedHeight(), upsampling.tile(), upsampling.overlap())),
          Dim.of(tiles(g.decodedWidth(), upsampling.tile(), upsampling.overlap()))));
    }
    throw new IllegalArgumentException("pack " + pack.name() + " does not use a network '" + network + "'");
  }

  /** The decoder calls of a video, as {@link TiledDecoder} streams them. */
  private List<TiledDecoder.Chunk> decoderChunks(int latentFrames) {
    return TiledDecoder.chunks(m.decoder(), decoding.chunkFrames(), latentFrames);
  }

  /**
   * The ranges of the caches' own height and width names: a cache at scale s (a decoder that
   * upsamples inside, such as Wan2.1's) is s times the latent tile, under a name the latent lacks.
   */
  private Map<String, Dim> cacheDims(String network, Dim h, Dim w) {
    Map<String, Dim> dims = new HashMap<>();
    for (PackManifest.CachePair pair : m.decoder().caches()) {
      for (TensorSpec cache : pack.network(network).inputs()) {
        if (cache.name().equals(pair.input()) && cache.rank() == 5) {
          putNamed(dims, cache.shape().get(3), h.times(pair.scale()));
          putNamed(dims, cache.shape().get(4), w.times(pair.scale()));
        }
      }
    }
    return dims;
  }

  private static void putNamed(Map<String, Dim> dims, TensorSpec.Dim d, Dim range) {
    if (d.name() != null) {
      dims.put(d.name(), range);
    }
  }

  private static List<Integer> tiles(int length, int tile, int overlap) {
    return TilePlan.along(length, tile, overlap).stream().map(TilePlan.Tile::size).toList();
  }

  /** The range of each position of a network's main input; null where it is not a named dimension. */
  private static IntFunction<Dim> positions(Dim... dims) {
    return i -> i < dims.length ? dims[i] : null;
  }

  /**
   * Ranges for every input of {@code network}: the named dimensions of {@code main} take the
   * ranges {@code byPosition} gives, and every other input's dimension of the same name the same.
   */
  private Profile profile(String network, String label, String main, IntFunction<Dim> byPosition) {
    return profile(network, label, main, byPosition, Map.of());
  }

  /** As above, and {@code others}: ranges of names {@code main} does not have. */
  private Profile profile(String network, String label, String main, IntFunction<Dim> byPosition,
      Map<String, Dim> others) {
    List<TensorSpec> inputs = pack.network(network).inputs();
    TensorSpec anchor = inputs.stream().filter(t -> t.name().equals(main)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("network " + network + " of pack " + pack.name()
            + " has no input '" + main + "'"));
    Map<String, Dim> named = new HashMap<>();
    for (int i = 0; i < anchor.rank(); i++) {
      String name = anchor.shape().get(i).name();
      Dim dim = byPosition.apply(i);
      if (name != null && dim != null) {
        named.put(name, dim);
      }
    }
    others.forEach(named::putIfAbsent);
    List<Profile.Range> ranges = new ArrayList<>();
    for (TensorSpec input : inputs) {
      List<Integer> min = new ArrayList<>();
      List<Integer> opt = new ArrayList<>();
      List<Integer> max = new ArrayList<>();
      for (int i = 0; i < input.rank(); i++) {
        TensorSpec.Dim d = input.shape().get(i);
        Dim dim = d.size() != null ? Dim.fixed(d.size()) : named.get(d.name());
        if (dim == null) {
          throw new IllegalArgumentException("no TensorRT profile for " + network + " input '" + input.name()
              + "': its dimension " + i + " ('" + d.name() + "') is not one of " + main + "'s " + named.keySet());
        }
        min.add(dim.min());
        opt.add(dim.opt());
        max.add(dim.max());
      }
      ranges.add(new Profile.Range(input.name(), min, opt, max));
    }
    return new Profile(label, ranges);
  }
}
