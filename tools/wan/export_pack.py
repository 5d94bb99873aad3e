#!/usr/bin/python3
"""Turns a Wan2.1 text-to-video release folder into a Flowreel pack (docs/wan.md).

    /usr/bin/python3 tools/wan/export_pack.py --release DIR --out PACK [--config 1.3b|reduced]
        [--official WAN2.1_CHECKOUT] [--name NAME] [--variants bf16,fp16|none]

The release is the official folder (Wan-AI/Wan2.1-T2V-1.3B, or one `make_random_release.py`
wrote): the DiT, the umT5 encoder, the VAE and the tokenizer, read by their official file and tensor
names. The pack gets `dit.onnx`, `text_umt5.onnx`, `decoder_first.onnx` and `decoder.onnx` (with
`<file>.data` beside any network over 2 GB, and the two decoders' weights shared in
`decoder.weights`), `tokenizers/umt5.json` (the release's tokenizer.json as it is) and `pack.json`
with the family's sampler defaults, latent geometry and sizes. --variants (default bf16) adds the
reduced-precision copies TensorRT builds at FLOWREEL_TENSORRT_PRECISION=bf16 or fp16:
`dit.bf16.onnx` and `text_umt5.bf16.onnx` (precision.py; the VAE decoder stays float32 as in the
official pipeline, and umT5 gets no fp16 copy: T5 overflows float16).

With --official (a checkout of Wan-Video/Wan2.1), the pack also gets references computed by the
official code on the release's own weights, which the Java tests check every network against
(docs/model-packs.md, "References"); the export stops if any of our PyTorch networks differs from
the official one by more than 1e-4 on them. Without it, the pack has no references.
"""

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

import torch

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
sys.path.insert(0, str(TOOLS.parent))
import onnx_export  # noqa: E402
import precision  # noqa: E402
import release  # noqa: E402
import wan_dit  # noqa: E402
import wan_t5  # noqa: E402
import wan_tokenizer  # noqa: E402
import wan_vae  # noqa: E402
from build_tiny_pack import write_json, write_safetensors  # noqa: E402
from config import CONFIGS, LATENT, RELEASE, SAMPLER  # noqa: E402

TOLERANCE = 1e-4
SHARED_DECODER_WEIGHTS = 'decoder.weights'
# wan/configs/shared_config.py: sample_neg_prompt, which the official pipeline uses for an empty
# negative prompt.
NEGATIVE_PROMPT = ('色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量，JPEG压缩残留，丑陋的，'
                   '残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，'
                   '三条腿，背景人很多，倒着走')

# What a render defaults to and which sizes it accepts, per configuration. The 1.3B model was trained
# at 480p (wan/configs: SUPPORTED_SIZES 't2v-1.3B': 480*832, 832*480); the reduced one is for tests.
OUTPUT = {
    '1.3b': dict(output=dict(width=832, height=480, frames=81, fps=SAMPLER['fps']),
                 limits=dict(minLatentSize=16, maxLatentSize=160, maxLatentFrames=21)),
    'reduced': dict(output=dict(width=128, height=96, frames=17, fps=SAMPLER['fps']),
                    limits=dict(minLatentSize=2, maxLatentSize=64, maxLatentFrames=21)),
}


def sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 24), b''):
            digest.update(block)
    return digest.hexdigest()


def export_dit(release_dir, cfg, out):
    dit_cfg = release.read_dit_config(release_dir, cfg['dit'])
    dit = wan_dit.WanDit(dit_cfg).eval()
    dit.load_state_dict(release.read_dit_weights(release_dir), strict=True)
    gen = torch.Generator().manual_seed(1)
    # Traced at a size no reference uses, so the dynamic axes are exercised.
    sample = {'latent': torch.randn(3, dit_cfg['in_dim'], 2, 4, 10, generator=gen),
              'timestep': torch.tensor([1.0, 500.0, 999.0]),
              'umt5_tokens': torch.randn(3, dit_cfg['text_len'], dit_cfg['text_dim'], generator=gen)}
    spec = wan_dit.network_spec(dit_cfg)
    onnx_export.export(dit, sample, out, spec)
    return dit, dit_cfg, spec


def export_text(release_dir, cfg, out):
    t5 = wan_t5.load_release(release_dir, cfg['t5'])
    text_len = cfg['text_len']
    ids, mask = wan_t5.example_inputs(cfg['t5'], 3, text_len)
    spec = wan_t5.network_spec(cfg['t5'], text_len)
    onnx_export.export(t5, {'input_ids': ids, 'attention_mask': mask}, out, spec)
    return t5, spec


def export_decoder(release_dir, cfg, out):
    vae = wan_vae.load_release(release_dir, cfg['vae'], RELEASE['vae_weights'])
    specs = wan_vae.network_specs(vae)
    first, step = wan_vae.DecoderFirst(vae).eval(), wan_vae.DecoderStep(vae).eval()
    gen = torch.Generator().manual_seed(2)
    z, (b, t, h, w) = cfg['vae']['z_dim'], (2, 2, 3, 5)
    onnx_export.export(first, {'latent': torch.randn(b, z, 1, h, w, generator=gen)}, out, specs['decoder_first'])
    step_sample = {'latent': torch.randn(b, z, t, h, w, generator=gen),
                   **{f'cache_{i}': c for i, c in enumerate(vae.zero_caches(b, h, w))}}
    onnx_export.export(step, step_sample, out, specs['decoder'])
    wan_vae.share_weights(out, [s['file'] for s in specs.values()], SHARED_DECODER_WEIGHTS)
    return vae, specs


def export_variants(out, variants):
    for variant in variants:
        for network, policy in precision.POLICIES.items():
            if network == 'text_umt5' and variant == 'fp16':
                continue  # T5's feed-forward outputs overflow float16 (hence the official t5.py's fp16_clamp)
            src = out / f'{network}.onnx'
            precision.convert(src, precision.variant_path(src, variant), variant, policy)


def token_reference(tokenizer, text_len):
    """The ids and masks Java's tokenizer must give (the tiny pack's reference/tokens.json form)."""
    prompts = []
    for text in wan_tokenizer.REFERENCE_PROMPTS:
        ids, mask = tokenizer.encode_padded(text, text_len)
        prompts.append({'text': text, 'umt5': {'input_ids': ids, 'attention_mask': mask}})
    return {'rules': 'umt5: the official cleaning (html unescape twice, whitespace collapsed, stripped; ftfy not '
                     'applied), tokenizer.json with </s> appended, truncate keeping </s>, pad 0',
            'prompts': prompts}


def references(official_dir, release_dir, cfg, dit, dit_cfg, t5, vae, tokenizer_file, out):
    """Official outputs on the release's weights, for the Java tests; ours must agree within 1e-4."""
    import check_dit
    import check_t5
    import vae_check
    ref_dir = out / 'reference'
    ref_dir.mkdir(exist_ok=True)
    written = []

    def save(name, network, tensors, ours, theirs):
        difference = max((a - b).abs().max().item() for a, b in zip(ours, theirs))
        print(f"reference {name}: ours vs official {difference:.2e}", flush=True)
        if not difference <= TOLERANCE:
            raise SystemExit(f"{name}: our network differs from the official one by {difference:.2e}")
        write_safetensors(ref_dir / f'{name}.safetensors', tensors)
        written.append({'network': network, 'case': name, 'file': f'reference/{name}.safetensors'})

    gen = torch.Generator().manual_seed(23)
    official_dit = check_dit.official_dit(official_dir, dit_cfg, dit.state_dict())
    inputs = check_dit.reference_inputs(dit_cfg, gen)
    with torch.no_grad():
        want, got = check_dit.official_velocity(official_dit, inputs), dit(*inputs.values())
    save('dit_guided', 'dit', {**{f'inputs.{k}': v for k, v in inputs.items()}, 'outputs.velocity': want}, [got], [want])

    tokenizer = wan_tokenizer.UnigramTokenizer(tokenizer_file)
    rows = [tokenizer.encode_padded(p, cfg['text_len']) for p in check_t5.PROMPTS]
    ids, mask = torch.tensor([r[0] for r in rows]), torch.tensor([r[1] for r in rows])
    official_t5 = check_t5.official_encoder(official_dir, release_dir, cfg['t5'])
    with torch.no_grad():
        want, got = official_t5(ids, mask) * mask.unsqueeze(-1), t5(ids, mask)
    save('text_umt5_prompts', 'text_umt5', {'inputs.input_ids': ids, 'inputs.attention_mask': mask,
                                            'outputs.tokens': want}, [got], [want])
    write_json(ref_dir / 'tokens.json', token_reference(tokenizer, cfg['text_len']))

    official_vae = vae_check.official_vae(official_dir, release_dir, cfg['vae'])
    video = torch.randn(1, cfg['vae']['z_dim'], 4, 2, 3, generator=gen)
    first, step = wan_vae.DecoderFirst(vae), wan_vae.DecoderStep(vae)
    caches = [f'cache_{i}' for i in range(len(vae.cache_specs()))]
    produced = ['frames'] + [f'next_{c}' for c in caches]
    with torch.no_grad():
        first_out = first(video[:, :, :1])
        mid_out = step(video[:, :, 1:2], *first_out[1:])
        last_out = step(video[:, :, 2:], *mid_out[1:])
        whole = vae_check.official_decode(official_vae, video)
    chained = torch.cat([first_out[0], mid_out[0], last_out[0]], dim=2)
    save('decoder_first', 'decoder_first', {'inputs.latent': video[:, :, :1],
                                            **{f'outputs.{n}': t for n, t in zip(produced, first_out)}},
         [first_out[0]], [whole[:, :, :1]])
    # Latents 2-3 of the video, with the non-zero caches latents 0 and 1 left.
    save('decoder_stream', 'decoder', {'inputs.latent': video[:, :, 2:],
                                       **{f'inputs.{n}': t for n, t in zip(caches, mid_out[1:])},
                                       **{f'outputs.{n}': t for n, t in zip(produced, last_out)}},
         [last_out[0]], [whole[:, :, 5:]])
    # The official whole-video decode, which decoder_first and decoder in chunks must reproduce.
    write_safetensors(ref_dir / 'decoder_video.safetensors', {'inputs.latent': video, 'outputs.frames': whole})
    print(f"reference decoder_video: chained decode vs official {(chained - whole).abs().max().item():.2e}")
    return written


def manifest(name, cfg_name, cfg, dit_cfg, specs, refs, out):
    files = sorted(p for p in out.rglob('*') if p.is_file() and p.name != 'pack.json')
    vae_cfg = cfg['vae']
    caches = [{'input': f'cache_{i}', 'output': f'next_cache_{i}', 'scale': s}
              for i, (_, _, s) in enumerate(wan_vae.WanVaeDecoder(vae_cfg).cache_specs())]
    t5 = cfg['t5']
    pack = {
        'formatVersion': 1,
        'name': name,
        'version': '0.1.0',
        'description': f"Wan2.1 text-to-video ({cfg['name']}) exported by tools/wan/export_pack.py from a release "
                       "folder in the official layout: the umT5 encoder, the flow-matching DiT and the causal VAE "
                       "decoder (docs/wan.md).",
        'latent': {'channels': LATENT['channels']},
        'sampler': {'steps': SAMPLER['steps'], 'shift': SAMPLER['shift'], 'guidance': SAMPLER['guidance'],
                    'guidanceDistilled': False, 'solver': SAMPLER['solver'], 'negativePrompt': NEGATIVE_PROMPT},
        **OUTPUT[cfg_name],
        'textEncoders': [{'name': 'umt5', 'network': 'text_umt5',
                          'tokenizer': {'kind': 'huggingface', 'file': 'tokenizers/umt5.json', 'cleaning': 'wan'},
                          'maxLength': cfg['text_len'], 'width': t5['dim'], 'pooled': False}],
        'dit': {'network': 'dit', 'patchSize': list(LATENT['patch']), 'hiddenSize': dit_cfg['dim'],
                'layers': dit_cfg['num_layers'], 'heads': dit_cfg['num_heads'],
                'positionTableSize': [1024, 1024, 1024]},
        'decoder': {'network': 'decoder', 'firstNetwork': 'decoder_first', 'causal': True,
                    'temporalFactor': LATENT['temporal_factor'], 'spatialFactor': LATENT['spatial_factor'],
                    'spatialContext': 0, 'wholeFrame': True, 'caches': caches},
        'networks': {network: spec for network, spec in specs.items()},
        'references': refs,
        **({'tokenReference': 'reference/tokens.json'} if refs else {}),
        'files': [{'path': p.relative_to(out).as_posix(), 'sha256': sha256(p), 'size': p.stat().st_size}
                  for p in files],
    }
    write_json(out / 'pack.json', pack)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--release', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--config', default='1.3b', choices=CONFIGS)
    parser.add_argument('--official')
    parser.add_argument('--name')
    parser.add_argument('--variants', default='bf16', help="comma-separated: bf16, fp16; or 'none'")
    args = parser.parse_args()
    variants = [] if args.variants == 'none' else args.variants.split(',')
    if not set(variants) <= set(precision.LOW):
        parser.error(f"--variants {args.variants}: not bf16, fp16 or none")
    cfg, release_dir, out = CONFIGS[args.config], Path(args.release), Path(args.out)
    torch.manual_seed(0)
    if out.exists():
        for built in ['pack.json', 'reference', 'tokenizers', SHARED_DECODER_WEIGHTS] + \
                     [p.name for p in out.glob('*.onnx*')]:
            target = out / built
            shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)

    start = time.time()
    dit, dit_cfg, dit_spec = export_dit(release_dir, cfg, out)
    print(f"dit: {time.time() - start:.1f} s", flush=True)
    t5, text_spec = export_text(release_dir, cfg, out)
    print(f"text_umt5: {time.time() - start:.1f} s", flush=True)
    vae, decoder_specs = export_decoder(release_dir, cfg, out)
    print(f"decoders: {time.time() - start:.1f} s", flush=True)
    export_variants(out, variants)
    print(f"variants {', '.join(variants) or 'none'}: {time.time() - start:.1f} s", flush=True)
    tokenizer_file = out / 'tokenizers' / 'umt5.json'
    tokenizer_file.parent.mkdir(exist_ok=True)
    shutil.copyfile(release_dir / RELEASE['tokenizer_dir'] / 'tokenizer.json', tokenizer_file)

    refs = []
    if args.official:
        refs = references(args.official, release_dir, cfg, dit, dit_cfg, t5, vae, tokenizer_file, out)
    specs = {'text_umt5': text_spec, 'dit': dit_spec, **decoder_specs}
    manifest(args.name or cfg['name'], args.config, cfg, dit_cfg, specs, refs, out)
    print(f"pack {out}: {time.time() - start:.1f} s", flush=True)


if __name__ == '__main__':
    main()
