#!/usr/bin/python3
"""Trains the tiny pack on the synthetic world (docs/model-quality.md), on the CPU.

    /usr/bin/python3 tools/train_tiny_pack.py all          # tae, upsampler, latents, dit, then the pack
    /usr/bin/python3 tools/train_tiny_pack.py tae          # or one stage at a time, in that order

Each stage reads what the previous ones wrote to --work (tools/.cache/training) and writes its
weights and a JSON line of figures there; `pack` exports them through tools/build_tiny_pack.py, the
same path as the random-weight pack. Seeds are fixed; with more than one thread the float sums run in
a varying order, so two runs agree in their figures, not bit for bit.
"""
import argparse
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import flowreel_models as fm  # noqa: E402
import synthetic_world as world  # noqa: E402

DECODER_SIZE = 128      # the pack's default 256x256 output is decoded at 128 and upsampled
UPSAMPLED_SIZE = 256


def log(work, stage, **figures):
    line = json.dumps({"stage": stage, **figures})
    print(line, flush=True)
    with open(work / "log.jsonl", "a") as out:
        out.write(line + "\n")


def cosine_lr(step, steps, peak, warmup=50, floor=0.05):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def set_lr(optimizer, lr):
    for group in optimizer.param_groups:
        group["lr"] = lr


def psnr(a, b):
    """Peak signal-to-noise ratio of [-1, 1] videos, per clip (peak-to-peak 2)."""
    mse = ((a - b) ** 2).flatten(1).mean(1)
    return 10 * torch.log10(4 / mse)


def fill_ratio(frames):
    """The quality evaluator's shape figure (ClipMeasurer), simplified: the median over frames of
    area / bounding box of the pixels more than 60/255 from the border's median (no connected
    groups: two objects count as one)."""
    ratios = []
    for frame in frames.permute(1, 0, 2, 3).add(1).mul(127.5):  # [f, 3, h, w] in 0..255
        border = torch.cat([frame[:, :2].flatten(1), frame[:, -2:].flatten(1),
                            frame[:, :, :2].flatten(1), frame[:, :, -2:].flatten(1)], 1)
        far = ((frame - border.median(1).values[:, None, None]).abs() > 60).any(0)
        if far.float().mean() < 0.003:
            continue
        rows, cols = far.any(1).nonzero(), far.any(0).nonzero()
        if rows.min() == 0 or cols.min() == 0 or rows.max() == far.shape[0] - 1 or cols.max() == far.shape[1] - 1:
            continue
        ratios.append(far.sum().item() / ((rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)).item())
    return float(np.median(ratios)) if ratios else float("nan")


def shape_of(ratio):
    """ClipMeasurer's bands; "none" where no frame had a usable object (a NaN ratio)."""
    if math.isnan(ratio):
        return "none"
    return "triangle" if ratio < 0.64 else "circle" if ratio < 0.89 else "square"


def heldout_clips(count, seed=9999):
    rng = np.random.default_rng(seed)
    return torch.from_numpy(np.stack([world.render(world.sample_scene(rng), DECODER_SIZE) for _ in range(count)])
                            ).transpose(1, 2)


def decode(decoder, latent):
    return decoder(latent)[0][:, :, fm.CausalDecoder.TIME_FACTOR - 1:]


# ---------------------------------------------------------------------------------------------
# TAE: encoder and decoder together on 9-frame, 64-pixel crops of 128-pixel clips.

def crops(rng, batch, crop, frames):
    """[batch, 3, frames, crop, crop] from fresh scenes; crops start on the latent grid."""
    clips = []
    for _ in range(batch):
        video = world.render(world.sample_scene(rng), DECODER_SIZE, frames=range(frames))
        y, x = rng.integers(0, DECODER_SIZE - crop + 1, size=2) // 8 * 8
        clips.append(video[:, :, y:y + crop, x:x + crop])
    return torch.from_numpy(np.stack(clips)).transpose(1, 2)


def edge_weights(clips, weight):
    """1 + weight within 2 pixels of an edge of the target, else 1. Edges are a few percent of the
    pixels; under a plain MSE the decoder rounded squares and pinched triangles and still scored
    32 dB, and an outline is what tells the shapes apart. A decoder fine-tune gained nothing from
    it; a fresh TAE kept more shapes with it than without (docs/model-quality.md)."""
    frames = clips.transpose(1, 2).flatten(0, 1)  # [b * f, 3, h, w]
    step = F.pad((frames[..., 1:] - frames[..., :-1]).abs().sum(1, keepdim=True), (0, 1)) + \
        F.pad((frames[..., 1:, :] - frames[..., :-1, :]).abs().sum(1, keepdim=True), (0, 0, 0, 1))
    near = F.max_pool2d((step > 0.02).float(), 5, stride=1, padding=2)
    return (1 + weight * near).reshape(clips.shape[0], clips.shape[2], 1, *clips.shape[3:]).transpose(1, 2)


def reconstruction_loss(out, clips, edge_weight):
    """MSE + 0.1 L1, weighted near edges by edge_weights; the TAE's and the decoder fine-tune's."""
    error = out - clips
    return (edge_weights(clips, edge_weight) * (error ** 2 + 0.1 * error.abs())).mean()


def train_tae(work, steps, batch=8, crop=64, frames=9, peak_lr=5e-4, latent_noise=0.1, edge_weight=0.0):
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    encoder, decoder = fm.CausalEncoder(), fm.CausalDecoder()
    params = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.AdamW(params, lr=peak_lr, weight_decay=0.0)
    started = time.time()
    for step in range(steps):
        clips = crops(rng, batch, crop, frames)
        set_lr(optimizer, cosine_lr(step, steps, peak_lr))
        latent = encoder(clips)
        # Noise on the latent keeps the decoder calm about the DiT's small errors.
        noisy = latent + latent_noise * latent.detach().std() * torch.randn_like(latent)
        out = decode(decoder, noisy)
        loss = reconstruction_loss(out, clips, edge_weight)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        if step % 50 == 0 or step == steps - 1:
            log(work, "tae", step=step, loss=round(loss.item(), 5), seconds=round(time.time() - started))
    torch.save(encoder.state_dict(), work / "encoder.pt")
    torch.save(decoder.state_dict(), work / "decoder_raw.pt")
    heldout = evaluate_tae(encoder.eval(), decoder.eval())
    log(work, "tae-done", steps=steps, batch=batch, seconds=round(time.time() - started), **heldout)


@torch.no_grad()
def evaluate_tae(encoder, decoder, count=32):
    """Reconstruction PSNR of whole 17-frame 128-pixel clips the training never drew, and in how
    many of them the outline still measures as the same shape: a flat background dominates the PSNR,
    and 32 dB was reached by a decoder that rounded squares and pinched triangles."""
    values, kept = [], 0
    for chunk in heldout_clips(count).split(8):
        out = decode(decoder, encoder(chunk))
        values.append(psnr(out, chunk))
        kept += sum(shape_of(fill_ratio(o)) == shape_of(fill_ratio(c)) for o, c in zip(out, chunk))
    values = torch.cat(values)
    return {"heldout_clips": count, "psnr_mean_db": round(values.mean().item(), 2),
            "psnr_min_db": round(values.min().item(), 2), "psnr_median_db": round(values.median().item(), 2),
            "shape_kept": kept}


# ---------------------------------------------------------------------------------------------
# Upsampler: 128-pixel frames to the same frames drawn at 256.

def train_upsampler(work, steps, batch=16, crop=32, peak_lr=2e-3, input_noise=0.02):
    torch.manual_seed(2)
    rng = np.random.default_rng(2)
    net = fm.Upsampler()
    optimizer = torch.optim.AdamW(net.parameters(), lr=peak_lr, weight_decay=0.0)
    started = time.time()
    for step in range(steps):
        small, large = [], []
        for _ in range(batch):
            scene = world.sample_scene(rng)
            frame = [int(rng.integers(world.FRAMES))]
            lo = world.render(scene, DECODER_SIZE, frame)[0]
            hi = world.render(scene, UPSAMPLED_SIZE, frame)[0]
            y, x = rng.integers(0, DECODER_SIZE - crop + 1, size=2)
            small.append(lo[:, y:y + crop, x:x + crop])
            large.append(hi[:, 2 * y:2 * (y + crop), 2 * x:2 * (x + crop)])
        small, large = torch.from_numpy(np.stack(small)), torch.from_numpy(np.stack(large))
        set_lr(optimizer, cosine_lr(step, steps, peak_lr))
        out = net(small + input_noise * torch.randn_like(small))
        loss = F.mse_loss(out, large) + 0.1 * F.l1_loss(out, large)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0 or step == steps - 1:
            log(work, "upsampler", step=step, loss=round(loss.item(), 5), seconds=round(time.time() - started))
    torch.save(net.state_dict(), work / "upsampler.pt")
    log(work, "upsampler-done", steps=steps, batch=batch, seconds=round(time.time() - started),
        **evaluate_upsampler(net.eval()))


@torch.no_grad()
def evaluate_upsampler(net, count=16):
    rng = np.random.default_rng(9998)
    learned, bilinear = [], []
    for _ in range(count):
        scene = world.sample_scene(rng)
        frame = [int(rng.integers(world.FRAMES))]
        lo = torch.from_numpy(world.render(scene, DECODER_SIZE, frame))
        hi = torch.from_numpy(world.render(scene, UPSAMPLED_SIZE, frame))
        learned.append(psnr(net(lo), hi))
        bilinear.append(psnr(F.interpolate(lo, scale_factor=2.0, mode="bilinear", align_corners=False), hi))
    return {"psnr_db": round(torch.cat(learned).mean().item(), 2),
            "bilinear_psnr_db": round(torch.cat(bilinear).mean().item(), 2)}


# ---------------------------------------------------------------------------------------------
# Latents: the DiT's training set, encoded once and scaled to unit variance.

@torch.no_grad()
def encode_latents(work, count, resume=False, seed=3):
    """With resume (a restored snapshot), the stored scale is kept and the decoder, already folded
    and perhaps fine-tuned, is left alone."""
    encoder, decoder = fm.CausalEncoder(), fm.CausalDecoder()
    encoder.load_state_dict(torch.load(work / "encoder.pt"))
    decoder.load_state_dict(torch.load(work / "decoder_raw.pt"))
    encoder.eval(), decoder.eval()
    rng = np.random.default_rng(seed)
    started = time.time()
    scenes, latents = [], []
    for start in range(0, count, 16):
        batch = [world.sample_scene(rng) for _ in range(min(16, count - start))]
        clips = torch.from_numpy(np.stack([world.render(s, DECODER_SIZE) for s in batch])).transpose(1, 2)
        latents.append(encoder(clips))
        scenes += batch
    latents = torch.cat(latents)
    if resume:
        scale = json.loads((work / "latent_scale.json").read_text())["scale"]
    else:
        # Scale only, no shift: zero must stay zero, since a video starts from zero decoder caches.
        scale = latents.std().item()
        decoder.conv_in.conv.weight.mul_(scale)
        check = heldout_clips(4)
        z = encoder(check)
        assert torch.allclose(decode(decoder, z / scale), decode(load_decoder(work, raw=True), z), atol=1e-4)
        torch.save(decoder.state_dict(), work / "decoder.pt")
        (work / "latent_scale.json").write_text(json.dumps({"scale": scale}))
    np.save(work / "latents.npy", (latents / scale).numpy())
    (work / "scenes.json").write_text(json.dumps(scenes))
    log(work, "latents-done", clips=count, scale=round(scale, 5), shape=list(latents.shape),
        seconds=round(time.time() - started), per_channel_std=[round(v, 3) for v in (latents / scale).std((0, 2, 3, 4)).tolist()])


def load_decoder(work, raw=False):
    decoder = fm.CausalDecoder()
    decoder.load_state_dict(torch.load(work / ("decoder_raw.pt" if raw else "decoder.pt")))
    return decoder.eval()


def finetune_decoder(work, steps, batch=8, crop=64, frames=9, peak_lr=2e-4, latent_noise=0.05, edge_weight=0.0):
    """More decoder training against the frozen encoder: the latents, and so the DiT, do not change.
    Runs beside the DiT, whose steps leave a core free. A second run goes on from the first's
    decoder with a fresh schedule."""
    torch.manual_seed(5)
    rng = np.random.default_rng(5)
    scale = json.loads((work / "latent_scale.json").read_text())["scale"]
    encoder = fm.CausalEncoder()
    encoder.load_state_dict(torch.load(work / "encoder.pt"))
    encoder.eval().requires_grad_(False)
    decoder = load_decoder(work).train()
    optimizer = torch.optim.AdamW(decoder.parameters(), lr=peak_lr, weight_decay=0.0)
    started = time.time()
    for step in range(steps):
        clips = crops(rng, batch, crop, frames)
        set_lr(optimizer, cosine_lr(step, steps, peak_lr))
        with torch.no_grad():
            latent = encoder(clips) / scale
        out = decode(decoder, latent + latent_noise * torch.randn_like(latent))
        loss = reconstruction_loss(out, clips, edge_weight)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 50 == 0 or step == steps - 1:
            log(work, "decoder", step=step, loss=round(loss.item(), 5), seconds=round(time.time() - started))
    torch.save(decoder.state_dict(), work / "decoder.pt")
    scaled = fm.CausalEncoder()
    scaled.load_state_dict(encoder.state_dict())
    scaled.conv_out.conv.weight.data.div_(scale)
    scaled.conv_out.conv.bias.data.div_(scale)
    log(work, "decoder-done", steps=steps, batch=batch, seconds=round(time.time() - started),
        **evaluate_tae(scaled.eval(), decoder.eval()))


# ---------------------------------------------------------------------------------------------
# DiT and text encoders: flow matching with caption dropout, all four trained together.

SHOTS = [  # RuleBasedPromptRewriter's shot descriptions: the DiT sees rewritten prompts
    "Static camera, smooth motion, plain background.",
    "Steady wide shot, smooth motion, clean background.",
    "Locked-off camera, even lighting, simple background.",
]


def rewrite(text, seed):
    """The Java RuleBasedPromptRewriter, for prompts under its 20-word limit."""
    text = " ".join(text.split())
    sentence = text[:1].upper() + text[1:]
    if sentence[-1] not in ".!?":
        sentence += "."
    return sentence + " " + SHOTS[seed % len(SHOTS)]


class Captioner:
    """Fresh wording for a clip at every draw: synonyms, templates, rewritten or not, or dropped
    (the empty prompt, which the renderer encodes as the unconditional side of guidance)."""

    def __init__(self, rng, dropout=0.1, rewritten=0.5):
        self.rng, self.dropout, self.rewritten = rng, dropout, rewritten
        held_out = [json.loads(line)["prompt"] for line in open(TOOLS / "quality_prompts.jsonl")]
        self.held_out = set(held_out) | {rewrite(p, s) for p in held_out for s in range(len(SHOTS))}
        self.avoided = 0

    def __call__(self, scene):
        if self.rng.random() < self.dropout:
            return ""
        while True:
            text = world.caption(scene, self.rng)
            if self.rng.random() < self.rewritten:
                text = rewrite(text, int(self.rng.integers(len(SHOTS))))
            if text not in self.held_out:
                return text
            self.avoided += 1


class TextStack(torch.nn.Module):
    """The pack's three encoders, tokenizing as the Java side does (build_tiny_pack's mirror)."""

    def __init__(self):
        super().__init__()
        import build_tiny_pack as pack
        words = (TOOLS / "tiny_vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
        self.tokenizers = {n: pack.WordLevelTokenizer(n, words, fm.TEXT_ENCODERS[n][0]) for n in ("clip", "ul2")}
        self.encode_bytes = pack.encode_bytes
        sizes = {n: len(t.vocab) for n, t in self.tokenizers.items()}
        self.nets = torch.nn.ModuleDict({n: fm.build_network("text_" + n, sizes).train() for n in fm.TEXT_ENCODERS})

    def forward(self, texts):
        out = {"masks": {}}
        for name, net in self.nets.items():
            length = fm.TEXT_ENCODERS[name][0]
            rows = [self.encode_bytes(t, length) if name == "byt5" else self.tokenizers[name].encode(t) for t in texts]
            ids = torch.tensor([r["input_ids"] for r in rows])
            mask = torch.tensor([r["attention_mask"] for r in rows])
            out[name] = net(ids, mask)
            out["masks"][name] = mask
        return out


def encoder_tokens(cond, name):
    """The token features of one encoder's output in a TextStack result (CLIP's also has a pooled)."""
    return cond[name][0] if isinstance(cond[name], tuple) else cond[name]


ATTRIBUTES = {"colour": world.OBJECT_COLOURS, "shape": world.SHAPES, "motion": world.MOTIONS,
              "background": world.BACKGROUNDS}


class AttributeHeads(torch.nn.Module):
    """Training only, never exported: one linear read-out per text encoder that names the caption's
    first object (colour, shape, motion) and background from the encoder's mean token.

    Trained jointly with the DiT from scratch, the encoders kept only what the DiT used early on:
    at step 8400 one changed word moved CLIP's tokens by 88% for a colour and 3.6% for a motion,
    1.2% for a shape, and the DiT's velocity moved by 16%, 0.2% and 0.1%. A pretrained text encoder
    would tell all of them apart; this read-out's cross-entropy is the small stand-in for that
    pretraining, so that the DiT gets a signal to learn from."""

    def __init__(self):
        super().__init__()
        classes = sum(len(v) for v in ATTRIBUTES.values())
        self.heads = torch.nn.ModuleDict({n: torch.nn.Linear(fm.TEXT_ENCODERS[n][1], classes) for n in fm.TEXT_ENCODERS})

    def forward(self, cond, scenes, texts):
        kept = torch.tensor([t != "" for t in texts])
        if not kept.any():
            return torch.zeros(())
        targets = {a: torch.tensor([options.index(s["objects"][0][a] if a != "background" else s["background"])
                                    for s in scenes])[kept] for a, options in ATTRIBUTES.items()}
        loss = 0
        for name, head in self.heads.items():
            tokens = encoder_tokens(cond, name)
            mask = cond["masks"][name].to(tokens.dtype)
            mean = tokens.sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
            logits = head(mean[kept]).split([len(v) for v in ATTRIBUTES.values()], dim=1)
            loss = loss + sum(F.cross_entropy(l, targets[a]) for l, a in zip(logits, ATTRIBUTES))
        return loss / len(self.heads)


def sine_cosine_table(like, first, last, top):
    """A table shaped like `like` with sine-cosine pairs in dims first..last, up to `top` half-cycles
    across its rows (which the DiT resizes to the latent's length), norm 3 per row."""
    length = len(like)
    table = torch.zeros_like(like)
    pairs = (last - first) // 2
    angle = math.pi * torch.linspace(0, 1, length)[:, None] * torch.linspace(0.5, top, pairs)[None]
    table[:, first:last:2] = torch.sin(angle) * 3 / math.sqrt(pairs)
    table[:, first + 1:last:2] = torch.cos(angle) * 3 / math.sqrt(pairs)
    return table


def new_dit():
    dit = fm.build_network("dit").train()
    # AdaLN-Zero: every block starts as the identity and the output as zero.
    for layer in [b.ada for b in dit.blocks] + [dit.final]:
        torch.nn.init.zeros_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    # The random position tables (std 0.02, a norm of 0.2 against patch tokens of about 7) leave the
    # DiT nearly blind to where a token is; sine-cosine rows in separate dims for t, h and w give it
    # positions from the start. The committed run got them added at step 5600 (docs/model-quality.md).
    with torch.no_grad():
        dit.pos_t.add_(sine_cosine_table(dit.pos_t, 0, 32, 4.0))
        dit.pos_h.add_(sine_cosine_table(dit.pos_h, 32, 80, 8.0))
        dit.pos_w.add_(sine_cosine_table(dit.pos_w, 80, 128, 8.0))
    return dit


def training_times(batch, mix, shift=3.0):
    """In the proportions `mix`: shifted logit-normal (where the sampler's shift spends its steps),
    uniform, and 0.85-1. Near pure noise only the caption says what the clip shows, and that is where the first
    steps decide colour, shape and path. With only the first two (4% of draws above 0.95), the DiT
    still ignored the text after 1000 steps."""
    logit_normal = torch.sigmoid(torch.randn(batch))
    logit_normal = shift * logit_normal / (1 + (shift - 1) * logit_normal)
    uniform = torch.rand(batch)
    high = 0.85 + 0.15 * torch.rand(batch)
    pick = torch.multinomial(torch.tensor(mix, dtype=torch.float), batch, replacement=True)
    return torch.where(pick == 0, logit_normal, torch.where(pick == 1, uniform, high))


def latent_maps(scenes, latent_shape, draw, supersample=1):
    """[N, 1, t, h, w]: draw(obj, xs, ys, cx, cy, size) per object ([frames, size, size] at
    `supersample` times the latent's resolution), averaged down to latent cells, the most over the
    objects and over the frames each latent decodes to (frame 0 alone, then 4 each)."""
    t, h, w = latent_shape
    size = w * supersample
    coords = (np.arange(size, dtype=np.float64) + 0.5) / size
    xs, ys = np.meshgrid(coords, coords)
    groups = [[0]] + [list(range(4 * g - 3, 4 * g + 1)) for g in range(1, t)]
    maps = np.zeros((len(scenes), 1, t, h, w), dtype=np.float32)
    for i, scene in enumerate(scenes):
        for obj in scene["objects"]:
            cx, cy = world.path(obj)
            drawn = draw(obj, xs, ys, cx, cy, size)
            drawn = drawn.reshape(len(drawn), h, supersample, w, supersample).mean((2, 4))
            for g, frames in enumerate(groups):
                maps[i, 0, g] = np.maximum(maps[i, 0, g], drawn[frames].max(0))
    return torch.from_numpy(maps)


def object_masks(scenes, latent_shape):
    """[N, 1, t, h, w]: how much of each latent cell the objects cover, drawn at the latent's own
    resolution."""
    return latent_maps(scenes, latent_shape, world.coverage)


def shape_masks(scenes, latent_shape, supersample=4):
    """[N, 1, t, h, w]: how much of each latent cell changes when an object's shape is swapped for
    another at the same place and size, the most over the other shapes. These few edge cells are all
    that tells a square from a circle; the object weight, which follows coverage, counts them less
    than the object's inside. Drawn `supersample` times finer than the latent, since a cell-centre
    sample hardly sees a corner."""
    def change(obj, xs, ys, cx, cy, size):
        own = world.coverage(obj, xs, ys, cx, cy, size)
        return np.max([np.abs(own - world.coverage({**obj, "shape": other}, xs, ys, cx, cy, size))
                       for other in world.SHAPES if other != obj["shape"]], 0)
    return latent_maps(scenes, latent_shape, change, supersample)


def object_weights(emphasis, s, sure=0.9, unsure=1.0):
    """Per-element loss weights, 1 + emphasis (the object weight times coverage, plus the shape
    weight times the shape masks). Objects cover about 4% of a frame, so under a
    plain MSE the gradient that would teach their colour, shape and path drowns in the background's
    irreducible noise: after 3700 steps the DiT drew every background right and the object's colour
    at chance. The weight shifts the optimum towards "object here". Where neither x_s nor the caption
    shows where the object is, that is wrong: with objects placed anywhere, a weight up to s = 0.95
    made the sampler paint object colour all over the frame. Now the caption shows where (paths are
    centred on fixed anchors), and the weight up to s = 0.9, fading to nothing at 1, is what made the
    DiT learn motion (docs/model-quality.md). Whole below s = sure, gone above s = unsure."""
    fade = ((unsure - s) / (unsure - sure)).clamp(0, 1)
    return 1 + fade[:, None, None, None, None] * emphasis


def train_dit(work, steps, batch=16, peak_lr=1e-3, ema_decay=0.995, resume=False, object_weight=10.0,
              object_fade=(0.9, 1.0), time_mix=(2, 2, 1), attribute_weight=1.0, shape_weight=40.0):
    torch.manual_seed(4)
    rng = np.random.default_rng(4)
    latents = torch.from_numpy(np.load(work / "latents.npy"))
    scenes = json.loads((work / "scenes.json").read_text())
    emphasis = object_weight * object_masks(scenes, latents.shape[2:])
    if shape_weight:
        emphasis += shape_weight * shape_masks(scenes, latents.shape[2:])
    captioner = Captioner(rng)
    text, dit = TextStack(), new_dit()
    model = torch.nn.ModuleDict({"text": text.nets, "dit": dit})
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=peak_lr, weight_decay=0.01)
    reader = AttributeHeads()
    reader_optimizer = torch.optim.AdamW(reader.parameters(), lr=peak_lr, weight_decay=0.01)
    first = 0
    checkpoint = work / "dit_checkpoint.pt"
    rewarm = 0  # a fresh optimizer on trained weights warms up again
    if resume and checkpoint.exists():
        state = torch.load(checkpoint)
        ema, first = state["ema"], state["step"] + 1
        if "optimizer" in state:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            if "reader" in state:  # checkpoints from before the read-out have none
                reader.load_state_dict(state["reader"])
                reader_optimizer.load_state_dict(state["reader_optimizer"])
            rng.bit_generator.state = state["rng"]
            torch.set_rng_state(state["torch_rng"])
        else:  # a committed snapshot: the EMA weights only
            model.load_state_dict(ema)
            rng = captioner.rng = np.random.default_rng(4 + first)
            torch.manual_seed(4 + first)
            rewarm = first
    started = time.time()
    for step in range(first, steps):
        index = torch.from_numpy(rng.integers(len(latents), size=batch))
        x0 = latents[index]
        texts = [captioner(scenes[i]) for i in index.tolist()]
        cond = text(texts)
        s = training_times(batch, time_mix)
        noise = torch.randn_like(x0)
        xs = (1 - s)[:, None, None, None, None] * x0 + s[:, None, None, None, None] * noise
        set_lr(optimizer, cosine_lr(step, steps, peak_lr, warmup=100) * min(1.0, (step - rewarm + 1) / 100))
        v = dit(xs, s, cond["clip"][0], cond["clip"][1], cond["byt5"], cond["ul2"])
        flow = (object_weights(emphasis[index], s, *object_fade) * (v - (noise - x0)) ** 2).mean()
        read = reader(cond, [scenes[i] for i in index.tolist()], texts)
        loss = flow + attribute_weight * read
        optimizer.zero_grad()
        reader_optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        set_lr(reader_optimizer, optimizer.param_groups[0]["lr"])
        reader_optimizer.step()
        with torch.no_grad():
            for k, v in model.state_dict().items():
                ema[k].mul_(ema_decay).add_(v.detach(), alpha=1 - ema_decay)
        if step % 25 == 0 or step == steps - 1:
            log(work, "dit", step=step, loss=round(flow.item(), 4), attributes=round(read.item(), 4),
                seconds=round(time.time() - started))
        if step % 100 == 99 or step == steps - 1:
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "ema": ema, "step": step,
                        "reader": reader.state_dict(), "reader_optimizer": reader_optimizer.state_dict(),
                        "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state()}, checkpoint)
            save_dit_weights(work, model, ema)
    log(work, "dit-done", steps=steps, batch=batch, seconds=round(time.time() - started),
        captions_avoided=captioner.avoided)


def save_dit_weights(work, model, ema):
    """The EMA weights, one state dict per network of the pack."""
    shadow = torch.nn.ModuleDict({k: v for k, v in model.items()})
    shadow.load_state_dict(ema)
    torch.save(shadow["dit"].state_dict(), work / "dit.pt")
    for name, net in shadow["text"].items():
        torch.save(net.state_dict(), work / f"text_{name}.pt")


SNAPSHOT = TOOLS / "training-state"
SNAPSHOT_FILES = ["encoder.pt", "decoder_raw.pt", "decoder.pt", "upsampler.pt", "latent_scale.json"]


def snapshot(work):
    """What a later run needs to go on training without starting over, small enough to commit: the
    TAE and upsampler, and the DiT and text encoders as their EMA weights (no optimizer state). The
    latents are not kept: `latents` re-encodes them from the encoder."""
    SNAPSHOT.mkdir(exist_ok=True)
    for name in SNAPSHOT_FILES:
        shutil.copyfile(work / name, SNAPSHOT / name)
    state = torch.load(work / "dit_checkpoint.pt")
    torch.save({"ema": state["ema"], "step": state["step"]}, SNAPSHOT / "dit_checkpoint.pt")
    log(work, "snapshot-done", step=state["step"], bytes=sum(p.stat().st_size for p in SNAPSHOT.iterdir()))


def restore(work):
    for name in SNAPSHOT_FILES + ["dit_checkpoint.pt"]:
        shutil.copyfile(SNAPSHOT / name, work / name)


def build_pack(work, out):
    subprocess.run([sys.executable, str(TOOLS / "build_tiny_pack.py"), "--weights", str(work), "--out", str(out)],
                   check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=["tae", "upsampler", "latents", "dit", "decoder", "pack", "all",
                                          "snapshot", "restore"])
    parser.add_argument("--work", default=str(TOOLS / ".cache" / "training"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tae-steps", type=int, default=1500)
    parser.add_argument("--upsampler-steps", type=int, default=1500)
    parser.add_argument("--latent-clips", type=int, default=3000)
    parser.add_argument("--dit-steps", type=int, default=3000)
    parser.add_argument("--decoder-steps", type=int, default=1500)
    parser.add_argument("--edge-weight", type=float, default=0.0,
                        help="tae, decoder: extra loss weight within 2 pixels of an edge (0: none)")
    parser.add_argument("--object-weight", type=float, default=10.0,
                        help="dit: extra loss weight on the cells the objects cover (0: plain MSE)")
    parser.add_argument("--object-fade", type=float, nargs=2, default=[0.9, 1.0], metavar=("SURE", "UNSURE"),
                        help="dit: the object weight is whole below s = SURE and gone above s = UNSURE")
    parser.add_argument("--time-mix", type=float, nargs=3, default=[2, 2, 1], metavar=("LOGIT", "UNIFORM", "HIGH"),
                        help="dit: proportions of the three time samplers")
    parser.add_argument("--shape-weight", type=float, default=40.0,
                        help="dit: extra loss weight on the cells where the object's shape shows (0: none)")
    parser.add_argument("--attribute-weight", type=float, default=1.0,
                        help="dit: weight of the text encoders' attribute read-out loss (0: none)")
    parser.add_argument("--resume", action="store_true",
                        help="latents: keep the restored scale and decoder; dit: continue from the checkpoint")
    parser.add_argument("--out", default=str(TOOLS.parent / "models" / "tiny"))
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    stages = ["tae", "upsampler", "latents", "dit", "decoder", "pack"] if args.stage == "all" else [args.stage]
    for stage in stages:
        if stage == "tae":
            train_tae(work, args.tae_steps, edge_weight=args.edge_weight)
        elif stage == "upsampler":
            train_upsampler(work, args.upsampler_steps)
        elif stage == "latents":
            encode_latents(work, args.latent_clips, resume=args.resume)
        elif stage == "dit":
            train_dit(work, args.dit_steps, resume=args.resume, object_weight=args.object_weight,
                      object_fade=tuple(args.object_fade), time_mix=tuple(args.time_mix),
                      shape_weight=args.shape_weight, attribute_weight=args.attribute_weight)
        elif stage == "decoder":
            finetune_decoder(work, args.decoder_steps, edge_weight=args.edge_weight)
        elif stage == "snapshot":
            snapshot(work)
        elif stage == "restore":
            restore(work)
        else:
            build_pack(work, Path(args.out))


if __name__ == "__main__":
    main()
