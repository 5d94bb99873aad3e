#!/usr/bin/python3
"""Builds models/tiny: the networks exported to ONNX, tokenizers, PyTorch references and pack.json,
exactly as docs/model-packs.md describes. Deterministic: two runs give identical files.

    /usr/bin/python3 tools/build_tiny_pack.py [--out models/tiny] [--weights DIR]

With --weights, every network loads DIR/<network>.pt, the state dicts tools/train_tiny_pack.py
writes (the committed pack); without, the networks keep their fixed-seed random weights.
"""
import argparse
import hashlib
import json
import re
import struct
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import flowreel_models as fm  # noqa: E402

TOOLS = Path(__file__).resolve().parent
REPO = TOOLS.parent
OPSET = 17
C = fm.LATENT_CHANNELS

REQUIRED_WORDS = """red green blue yellow white purple orange black pink cyan gray grey brown circle ball disc disk
sphere square box cube block triangle pyramid wedge moving left right up down still stationary static drifting
sliding floating rising falling bouncing toward to the of a an on in over across against background floor wall sky
dark bright light""".split()

# ---------------------------------------------------------------------------------------------
# Tokenizers: the Python side of the rules Java applies (docs/model-packs.md, "Tokenizers").

SPECIALS = {"clip": (["<bos>"], ["<eos>"]), "ul2": ([], ["</s>"])}  # (prefix, suffix)
WORD_RE = re.compile(r"\w+|[^\w\s]+")  # the Hugging Face Whitespace pre-tokenizer


class WordLevelTokenizer:
    def __init__(self, name, words, max_length):
        self.name, self.max_length = name, max_length
        self.prefix, self.suffix = SPECIALS[name]
        self.specials = ["<pad>", "<unk>"] + self.prefix + self.suffix
        self.vocab = {tok: i for i, tok in enumerate(self.specials + words)}

    def words(self, text):
        # Added tokens (normalized: false) are matched in the raw text before lowercasing, as the
        # Hugging Face tokenizer does; the rest is lowercased and split.
        ids = []
        for i, piece in enumerate(re.split("(" + "|".join(map(re.escape, self.specials)) + ")", text)):
            if i % 2:
                ids.append(self.vocab[piece])
            else:
                ids += [self.vocab.get(w, self.vocab["<unk>"]) for w in WORD_RE.findall(piece.lower())]
        return ids

    def encode(self, text):
        body = self.words(text)[: self.max_length - len(self.prefix) - len(self.suffix)]
        ids = [self.vocab[t] for t in self.prefix] + body + [self.vocab[t] for t in self.suffix]
        return pad(ids, self.max_length)

    def tokenizer_json(self):
        def special(tok):
            return {"SpecialToken": {"id": tok, "type_id": 0}}

        single = [special(t) for t in self.prefix] + [{"Sequence": {"id": "A", "type_id": 0}}] + \
                 [special(t) for t in self.suffix]
        pair = single + [{"Sequence": {"id": "B", "type_id": 1}}] + [special(t) for t in self.suffix]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [{"id": self.vocab[t], "content": t, "single_word": False, "lstrip": False,
                              "rstrip": False, "normalized": False, "special": True} for t in self.specials],
            "normalizer": {"type": "Lowercase"},
            "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": {
                "type": "TemplateProcessing", "single": single, "pair": pair,
                "special_tokens": {t: {"id": t, "ids": [self.vocab[t]], "tokens": [t]}
                                   for t in self.prefix + self.suffix},
            },
            "decoder": None,
            "model": {"type": "WordLevel", "vocab": self.vocab, "unk_token": "<unk>"},
        }


def encode_bytes(text, max_length):
    """ByT5: UTF-8 byte + 3, then eos 1; truncation keeps the eos."""
    ids = [b + 3 for b in text.encode("utf-8")][: max_length - 1] + [1]
    return pad(ids, max_length)


def pad(ids, max_length):
    padding = [0] * (max_length - len(ids))
    return {"input_ids": ids + padding, "attention_mask": [1] * len(ids) + padding}


REFERENCE_PROMPTS = [
    "A red ball bouncing on the floor.",
    "Blue CUBE sliding left, against a DARK background!",
    "a zyzzyva drifting across the sky",
    "Café au lait: a brown disc floating up",
    "Green pyramid... rising?! (slowly) -- toward the light",
    "  Yellow   triangle\tfalling\nto the   ground  ",
    "",
    "ok",
    "A small white sphere and a large purple box move slowly from the left side of the frame to the right "
    "side while a tiny pink triangle falls down behind them, the camera stays still, the background is a dark "
    "gray wall with a bright light on the floor, and in the end all of the shapes stop in the middle.",
]

# ---------------------------------------------------------------------------------------------
# Files


def write_safetensors(path, tensors):
    dtypes = {np.dtype("float32"): ("F32", "<f4"), np.dtype("int64"): ("I64", "<i8")}
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        array = tensors[name].detach().numpy() if torch.is_tensor(tensors[name]) else tensors[name]
        tag, little = dtypes[array.dtype]
        data = np.ascontiguousarray(array).astype(little).tobytes()
        header[name] = {"dtype": tag, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # data starts 8-byte aligned, as the safetensors writer does
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def to_json(value, indent=""):
    """Indented JSON that keeps lists of numbers and strings on one line (shapes, token ids)."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {to_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + to_json(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def write_json(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_json(value) + "\n", encoding="utf-8")


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Networks: manifest specs, export sizes (deliberately not the reference sizes) and reference cases.

def spec(name, dtype, shape):
    return {"name": name, "dtype": dtype, "shape": shape}


def network_specs():
    specs = {}
    for enc, (length, width, pooled) in fm.TEXT_ENCODERS.items():
        outputs = [spec("tokens", "float32", ["batch", length, width])]
        if pooled:
            outputs.append(spec("pooled", "float32", ["batch", width]))
        specs["text_" + enc] = {"file": f"text_{enc}.onnx",
                                "inputs": [spec("input_ids", "int64", ["batch", length]),
                                           spec("attention_mask", "int64", ["batch", length])],
                                "outputs": outputs}
    latent = spec("latent", "float32", ["batch", C, "t", "h", "w"])
    text = []
    for enc, (length, width, pooled) in fm.TEXT_ENCODERS.items():
        text.append(spec(f"{enc}_tokens", "float32", ["batch", length, width]))
        if pooled:
            text.append(spec(f"{enc}_pooled", "float32", ["batch", width]))
    specs["dit"] = {"file": "dit.onnx", "inputs": [latent, spec("timestep", "float32", ["batch"])] + text,
                    "outputs": [spec("velocity", "float32", ["batch", C, "t", "h", "w"])]}
    caches = [["batch", c, k, "h", "w"] for c, k in fm.CausalDecoder().cache_shapes()]
    specs["decoder"] = {"file": "decoder.onnx",
                        "inputs": [latent] + [spec(f"cache_{i}", "float32", s) for i, s in enumerate(caches)],
                        "outputs": [spec("frames", "float32", ["batch", 3, "frames_t", "frames_h", "frames_w"])] +
                                   [spec(f"next_cache_{i}", "float32", s) for i, s in enumerate(caches)]}
    specs["upsampler"] = {"file": "upsampler.onnx", "inputs": [spec("frames", "float32", ["n", 3, "h", "w"])],
                          "outputs": [spec("upsampled", "float32", ["n", 3, "up_h", "up_w"])]}
    return specs


def random_inputs(network, gen, tokenized=None, batch=2, t=2, h=4, w=6, n=2):
    """Seeded inputs for one call; sizes only where the network has dynamic dims."""
    def randn(*shape):
        return torch.randn(*shape, generator=gen)

    if network.startswith("text_"):
        enc = tokenized[network[len("text_"):]]
        return {k: torch.tensor([e[k] for e in enc], dtype=torch.int64) for k in ("input_ids", "attention_mask")}
    if network == "dit":
        return {"latent": randn(batch, C, t, h, w),
                "timestep": torch.linspace(0.7, 0.3, batch) if batch > 1 else torch.tensor([0.5]),
                "clip_tokens": randn(batch, 32, 64), "clip_pooled": randn(batch, 64),
                "byt5_tokens": randn(batch, 64, 48), "ul2_tokens": randn(batch, 48, 64)}
    if network == "decoder":
        return dict(latent=randn(batch, C, t, h, w), **zero_caches(batch, h, w))
    return {"frames": torch.rand(n, 3, h, w, generator=gen) * 2 - 1}


EXPORT_SIZES = {"dit": dict(batch=3, t=4, h=6, w=10), "decoder": dict(batch=2, t=3, h=6, w=4),
                "upsampler": dict(n=4, h=24, w=40)}
REFERENCE_CASES = {
    "dit": {"small": dict(batch=2, t=2, h=4, w=6), "large": dict(batch=2, t=3, h=8, w=8)},
    "decoder": {"small": dict(batch=1, t=2, h=4, w=6), "large": dict(batch=1, t=3, h=8, w=8)},
    "upsampler": {"small": dict(n=3, h=32, w=48), "large": dict(n=2, h=64, w=64)},
}


def zero_caches(batch, h, w):
    """The decoder's caches at the start of a video."""
    return {f"cache_{i}": torch.zeros(batch, c, k, h, w) for i, (c, k) in enumerate(fm.CausalDecoder().cache_shapes())}


def decoder_stream_case(net, gen, first_t=3, t=2, h=4, w=6):
    """The second chunk of a video: its latents and the caches that decoding a first chunk left."""
    first = torch.randn(1, C, first_t, h, w, generator=gen)
    with torch.no_grad():
        caches = net(first, *zero_caches(1, h, w).values())[1:]
    return dict(latent=torch.randn(1, C, t, h, w, generator=gen),
                **{f"cache_{i}": cache for i, cache in enumerate(caches)})


def outputs_of(net, inputs):
    with torch.no_grad():
        out = net(*inputs.values())
    return out if isinstance(out, tuple) else (out,)


def export(net, name, sample, out_dir, net_spec):
    dynamic = {}
    for t in net_spec["inputs"] + net_spec["outputs"]:
        named = {i: d for i, d in enumerate(t["shape"]) if isinstance(d, str)}
        if named:
            dynamic[t["name"]] = named
    path = out_dir / net_spec["file"]
    torch.onnx.export(net, tuple(sample.values()), str(path), opset_version=OPSET,
                      input_names=[t["name"] for t in net_spec["inputs"]],
                      output_names=[t["name"] for t in net_spec["outputs"]],
                      dynamic_axes=dynamic, do_constant_folding=True)
    model = onnx.load(str(path))
    declare_outputs(model, net_spec)
    onnx.save(model, str(path))
    onnx.checker.check_model(model, full_check=True)
    check_onnx_io(model, net_spec, name)
    return model


def declare_outputs(model, net_spec):
    """The exporter's shape inference loses fixed dims behind reshapes built from runtime sizes (the
    text encoders' token axis, the DiT's channel axis) and invents names for them; declare the
    outputs exactly as the manifest does."""
    for value in model.graph.output:
        declared = next(t for t in net_spec["outputs"] if t["name"] == value.name)["shape"]
        for dim, size in zip(value.type.tensor_type.shape.dim, declared):
            dim.Clear()
            if isinstance(size, str):
                dim.dim_param = size
            else:
                dim.dim_value = size


def check_onnx_io(model, net_spec, name):
    """What the Java loader checks: names, dtypes and fixed dims of the graph's inputs and outputs."""
    elem = {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.INT64: "int64"}

    def io(values):
        return [spec(v.name, elem[v.type.tensor_type.elem_type],
                     [d.dim_param if d.dim_param else d.dim_value for d in v.type.tensor_type.shape.dim])
                for v in values]

    actual = {"inputs": io(model.graph.input), "outputs": io(model.graph.output)}
    for side in ("inputs", "outputs"):
        if actual[side] != net_spec[side]:
            raise SystemExit(f"{name}: ONNX {side} {actual[side]} differ from manifest {net_spec[side]}")


# ---------------------------------------------------------------------------------------------
# Self-checks of the context numbers written into pack.json (PyTorch eager).

def decode_stream(decoder, latent, chunk):
    """A whole video decoded `chunk` latent frames at a time, carrying the caches, as Java does: the
    frames of all calls concatenated, minus the first TIME_FACTOR - 1."""
    caches, parts = tuple(zero_caches(latent.shape[0], latent.shape[3], latent.shape[4]).values()), []
    for start in range(0, latent.shape[2], chunk):
        frames, *caches = decoder(latent[:, :, start:start + chunk], *caches)
        parts.append(frames)
    return torch.cat(parts, dim=2)[:, :, decoder.TIME_FACTOR - 1:]


def check_decoder_context(decoder, gen):
    halo, n = decoder.spatial_context(), len(decoder.cache_shapes())
    latent = torch.randn(1, C, 7, 4, 4, generator=gen)
    with torch.no_grad():
        whole = decode_stream(decoder, latent, 7)
        assert whole.shape[2] == 1 + 4 * 6, whole.shape
        for chunk in (1, 2, 3):
            diff = (decode_stream(decoder, latent, chunk) - whole).abs().max().item()
            assert diff < 1e-5, f"decoder streamed in chunks of {chunk} differs from the whole decode: {diff}"
        # Every cache matters: the second chunk with one cache zeroed differs.
        _, *caches = decoder(latent[:, :, :3], *zero_caches(1, 4, 4).values())
        second = decoder(latent[:, :, 3:5], *caches)[0]
        for i in range(n):
            zeroed = [torch.zeros_like(c) if j == i else c for j, c in enumerate(caches)]
            diff = (decoder(latent[:, :, 3:5], *zeroed)[0] - second).abs().max().item()
            assert diff > 1e-3, f"decoder cache_{i} makes no difference: {diff}"
        # Tiles stream with their own caches (fixed tile layout across chunks) and stay exact with a
        # halo of spatialContext.
        latent = torch.randn(1, C, 4, 3, 4 * halo + 6, generator=gen)
        whole = decode_stream(decoder, latent, 4)
        lo, hi = 2 * halo, 2 * halo + 3  # an inner tile, with `halo` latent pixels each side
        tile = decode_stream(decoder, latent[..., lo - halo:hi + halo], 2)
        diff = (tile[..., 8 * halo:8 * (halo + hi - lo)] - whole[..., 8 * lo:8 * hi]).abs().max().item()
        assert diff < 1e-5, f"decoder spatialContext {halo} too small: {diff}"


def check_upsampler_context(upsampler, gen):
    halo = upsampler.spatial_context()
    frames = torch.rand(1, 3, 5, 4 * halo + 7, generator=gen) * 2 - 1
    with torch.no_grad():
        whole = upsampler(frames)
        lo, hi = 2 * halo, 2 * halo + 7
        tile = upsampler(frames[..., lo - halo:hi + halo])
        diff = (tile[..., 2 * halo:2 * (halo + hi - lo)] - whole[..., 2 * lo:2 * hi]).abs().max().item()
    assert diff < 1e-5, f"upsampler spatialContext {halo} too small: {diff}"


# ---------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "models" / "tiny"))
    parser.add_argument("--weights", help="folder of trained state dicts, <network>.pt")
    args = parser.parse_args()
    out = Path(args.out)
    weights = Path(args.weights) if args.weights else None
    started = time.time()
    # Harmless exporter chatter: shapes of constants it cannot infer, Slice folding it skips.
    warnings.filterwarnings("ignore", message="The shape inference of prim::Constant")
    warnings.filterwarnings("ignore", message="Constant folding - Only steps=1")
    torch.set_num_threads(1)  # fixed reduction order: identical references on every run and machine
    torch.use_deterministic_algorithms(True)

    for pattern in ("pack.json", "*.onnx", "tokenizers/*.json", "reference/*"):  # only what a build writes
        for stale in out.glob(pattern):
            stale.unlink()
    (out / "tokenizers").mkdir(parents=True, exist_ok=True)
    (out / "reference").mkdir(parents=True, exist_ok=True)

    words = (TOOLS / "tiny_vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    assert words == sorted(set(words)), "tiny_vocab.txt must be sorted and unique"
    assert not set(REQUIRED_WORDS) - set(words), set(REQUIRED_WORDS) - set(words)
    tokenizers = {name: WordLevelTokenizer(name, words, fm.TEXT_ENCODERS[name][0]) for name in ("clip", "ul2")}
    for name, tok in tokenizers.items():
        write_json(out / "tokenizers" / f"{name}.json", tok.tokenizer_json())

    def tokenize(text):
        return {"clip": tokenizers["clip"].encode(text), "byt5": encode_bytes(text, fm.TEXT_ENCODERS["byt5"][0]),
                "ul2": tokenizers["ul2"].encode(text)}

    def tokenize_batch(indices):
        return {enc: [tokenize(REFERENCE_PROMPTS[i])[enc] for i in indices] for enc in fm.TEXT_ENCODERS}

    write_json(out / "reference" / "tokens.json", {
        "rules": "wordlevel: raw-text special tokens, lowercase, split \\w+|[^\\w\\s]+, vocab or <unk>, "
                 "template specials, truncate keeping the final special token, pad 0; bytes: utf-8 byte + 3, "
                 "eos 1, pad 0",
        "prompts": [dict(text=p, **tokenize(p)) for p in REFERENCE_PROMPTS]})

    specs = network_specs()
    vocab_sizes = {name: len(tok.vocab) for name, tok in tokenizers.items()}
    references, params = [], {}
    for index, name in enumerate(specs):
        net = fm.build_network(name, vocab_sizes)
        if weights:
            net.load_state_dict(torch.load(weights / f"{name}.pt"))
        params[name] = fm.parameter_count(net)
        gen = torch.Generator().manual_seed(1000 + index)
        if name.startswith("text_"):
            sample = random_inputs(name, gen, tokenize_batch([1, 4, 6]))
            cases = {"small": random_inputs(name, gen, tokenize_batch([0, 5]))}
        else:
            sample = random_inputs(name, gen, **EXPORT_SIZES[name])
            cases = {case: random_inputs(name, gen, **size) for case, size in REFERENCE_CASES[name].items()}
            if name == "decoder":
                cases["stream"] = decoder_stream_case(net, gen)
        export(net, name, sample, out, specs[name])
        for case, inputs in cases.items():
            outputs = outputs_of(net, inputs)
            tensors = {f"inputs.{k}": v for k, v in inputs.items()}
            tensors.update({f"outputs.{t['name']}": v for t, v in zip(specs[name]["outputs"], outputs)})
            file = f"reference/{name}_{case}.safetensors"
            write_safetensors(out / file, tensors)
            references.append({"network": name, "case": case, "file": file})
        if name == "decoder":
            check_decoder_context(net, gen)
            decoder_context = (net.spatial_context(),
                               [{"input": f"cache_{i}", "output": f"next_cache_{i}"}
                                for i in range(len(net.cache_shapes()))])
        if name == "upsampler":
            check_upsampler_context(net, gen)
            upsampler_context = net.spatial_context()

    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != "pack.json")
    manifest = {
        "formatVersion": 1,
        "name": "tiny",
        "version": "0.6.0" if weights else "0.1.0",
        "description": "MovieGen-style pack " +
                       ("trained on the synthetic world of tools/synthetic_world.py (docs/model-quality.md)"
                        if weights else "with random, untrained weights, for tests and benchmarks") +
                       ", built by tools/build_tiny_pack.py: three text encoders, a 4-block flow-matching DiT, "
                       "a causal TAE decoder and a 2x upsampler.",
        "latent": {"channels": C},
        "sampler": {"steps": 20, "shift": 3.0, "guidance": 5.0, "guidanceDistilled": False},
        "output": {"width": 256, "height": 256, "frames": 17, "fps": 8},
        "limits": {"minLatentSize": 2, "maxLatentSize": 32, "maxLatentFrames": 16},
        "textEncoders": [
            {"name": enc, "network": "text_" + enc,
             "tokenizer": {"kind": "bytes"} if enc == "byt5"
             else {"kind": "wordlevel", "file": f"tokenizers/{enc}.json"},
             "maxLength": length, "width": width, "pooled": pooled}
            for enc, (length, width, pooled) in fm.TEXT_ENCODERS.items()],
        "dit": {"network": "dit", "patchSize": [1, 2, 2], "hiddenSize": 128, "layers": 4, "heads": 4,
                "positionTableSize": [16, 32, 32]},
        "decoder": {"network": "decoder", "causal": True, "temporalFactor": 4, "spatialFactor": 8,
                    "spatialContext": decoder_context[0], "caches": decoder_context[1]},
        "upsampler": {"network": "upsampler", "factor": 2, "spatialContext": upsampler_context},
        "networks": specs,
        "references": references,
        "tokenReference": "reference/tokens.json",
        "files": [{"path": f, "sha256": sha256(out / f), "size": (out / f).stat().st_size} for f in files],
    }
    write_json(out / "pack.json", manifest)

    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert total <= 25 * 1024 * 1024, f"pack is {total} bytes, over 25 MB"
    print(json.dumps({"out": str(out), "bytes": total, "parameters": params,
                      "decoder": {"spatialContext": decoder_context[0], "caches": len(decoder_context[1])},
                      "upsampler": {"spatialContext": upsampler_context},
                      "seconds": round(time.time() - started, 1)}))


if __name__ == "__main__":
    main()
