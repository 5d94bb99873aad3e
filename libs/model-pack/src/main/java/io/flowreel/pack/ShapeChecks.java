package io.flowreel.pack;

import static io.flowreel.pack.NetworkIo.ATTENTION_MASK;
import static io.flowreel.pack.NetworkIo.FRAMES;
import static io.flowreel.pack.NetworkIo.INPUT_IDS;
import static io.flowreel.pack.NetworkIo.LATENT;
import static io.flowreel.pack.NetworkIo.POOLED;
import static io.flowreel.pack.NetworkIo.TIMESTEP;
import static io.flowreel.pack.NetworkIo.TOKENS;
import static io.flowreel.pack.NetworkIo.UPSAMPLED;
import static io.flowreel.pack.NetworkIo.VELOCITY;
import static io.flowreel.pack.NetworkIo.ditTextInput;

import io.flowreel.pack.PackManifest.NetworkSpec;
import io.flowreel.pack.PackManifest.TextEncoderSpec;
import java.util.List;
import java.util.Optional;

/**
 * The dimension rules that tie a pack's networks together (docs/model-packs.md, "Rules"); run once
 * {@link ManifestChecks} has found every section present and every number in range.
 */
final class ShapeChecks {

  private final PackManifest m;
  private final List<String> problems;

  private ShapeChecks(PackManifest m, List<String> problems) {
    this.m = m;
    this.problems = problems;
  }

  static void check(PackManifest m, List<String> problems) {
    new ShapeChecks(m, problems).run();
  }

  private void run() {
    int channels = m.latent().channels();
    String dit = m.dit().network();
    expect(dit, input(dit, LATENT), 5, 1, channels);
    expect(dit, output(dit, VELOCITY), 5, 1, channels);
    expect(dit, input(dit, TIMESTEP), 1, -1, 0);

    for (TextEncoderSpec e : m.textEncoders()) {
      String net = e.network();
      expectDtype(net, input(net, INPUT_IDS), TensorSpec.INT64);
      expectDtype(net, input(net, ATTENTION_MASK), TensorSpec.INT64);
      expect(net, input(net, INPUT_IDS), 2, 1, e.maxLength());
      expect(net, output(net, TOKENS), 3, 1, e.maxLength());
      expect(net, output(net, TOKENS), 3, 2, e.width());
      expect(dit, input(dit, ditTextInput(e.name(), TOKENS)), 3, 1, e.maxLength());
      expect(dit, input(dit, ditTextInput(e.name(), TOKENS)), 3, 2, e.width());
      if (e.pooled()) {
        expect(net, output(net, POOLED), 2, 1, e.width());
        expect(dit, input(dit, ditTextInput(e.name(), POOLED)), 2, 1, e.width());
      }
    }

    String decoder = m.decoder().network();
    expect(decoder, input(decoder, LATENT), 5, 1, channels);
    expect(decoder, output(decoder, FRAMES), 5, 1, 3);
    String first = m.decoder().firstNetwork();
    if (first != null) {
      // Latent 0 alone in, its one frame and the caches for the next call out.
      expect(first, input(first, LATENT), 5, 2, 1);
      expect(first, input(first, LATENT), 5, 1, channels);
      expect(first, output(first, FRAMES), 5, 1, 3);
      expect(first, output(first, FRAMES), 5, 2, 1);
      for (PackManifest.CachePair cache : m.decoder().caches()) {
        Optional<TensorSpec> in = input(decoder, cache.input());
        Optional<TensorSpec> out = output(first, cache.output());
        if (in.isPresent() && out.isPresent() && !in.get().shape().equals(out.get().shape())) {
          problems.add(m.networks().get(first).file() + ": " + cache.output() + " " + out.get().shape()
              + " must have the shape of " + decoder + "'s " + cache.input() + " " + in.get().shape());
        }
      }
    }
    for (PackManifest.CachePair cache : m.decoder().caches()) {
      Optional<TensorSpec> in = input(decoder, cache.input());
      Optional<TensorSpec> out = output(decoder, cache.output());
      if (in.isPresent() && out.isPresent() && !in.get().shape().equals(out.get().shape())) {
        problems.add(m.networks().get(decoder).file() + ": cache " + cache.input() + " " + in.get().shape()
            + " and " + cache.output() + " " + out.get().shape() + " must have the same shape");
      }
      in.ifPresent(t -> {
        if (t.rank() != 5 || t.fixedSize(1) < 0 || t.fixedSize(2) < 0) {
          problems.add(m.networks().get(decoder).file() + ": cache " + t.name() + " " + t.shape()
              + " must be [batch, channels, frames, h, w] with fixed channels and frames");
        }
      });
    }
    if (m.decoder().causal() && m.decoder().caches().isEmpty()) {
      problems.add("pack.json: decoder: a causal decoder must list its convolution caches (decoder.caches)");
    }

    if (m.hasUpsampler()) {
      String upsampler = m.upsampler().network();
      expect(upsampler, input(upsampler, FRAMES), 4, 1, 3);
      expect(upsampler, output(upsampler, UPSAMPLED), 4, 1, 3);
    }
  }

  private Optional<TensorSpec> input(String network, String name) {
    return find(network, name, true);
  }

  private Optional<TensorSpec> output(String network, String name) {
    return find(network, name, false);
  }

  private Optional<TensorSpec> find(String network, String name, boolean input) {
    NetworkSpec spec = m.networks().get(network);
    List<TensorSpec> tensors = input ? spec.inputs() : spec.outputs();
    Optional<TensorSpec> found = tensors.stream().filter(t -> name.equals(t.name())).findFirst();
    if (found.isEmpty()) {
      problems.add(spec.file() + ": network '" + network + "' has no " + (input ? "input" : "output") + " '"
          + name + "'");
    }
    return found;
  }

  /** Rank must be {@code rank}; dimension {@code dim} (when >= 0) must be fixed at {@code size}. */
  private void expect(String network, Optional<TensorSpec> tensor, int rank, int dim, long size) {
    if (tensor.isEmpty()) {
      return;
    }
    TensorSpec t = tensor.get();
    String where = m.networks().get(network).file() + ": " + t.name() + " " + t.shape();
    if (t.rank() != rank) {
      problems.add(where + ": expected rank " + rank);
    } else if (dim >= 0 && t.fixedSize(dim) != size) {
      problems.add(where + ": dimension " + dim + " must be " + size + " (inconsistent dimensions)");
    }
  }

  private void expectDtype(String network, Optional<TensorSpec> tensor, String dtype) {
    tensor.filter(t -> !dtype.equals(t.dtype())).ifPresent(t -> problems.add(
        m.networks().get(network).file() + ": " + t.name() + " has dtype " + t.dtype() + ", expected " + dtype));
  }
}
