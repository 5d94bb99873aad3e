#!/usr/bin/python3
"""Proves the umT5 encoder export against the official code, without real weights.

    /usr/bin/python3 tools/wan/check_t5.py --official WAN2.1_CHECKOUT --out DIR

Writes the T5 part of a random REDUCED release into DIR/release (the official file names: the bf16
state dict and google/umt5-xxl/ with the tokenizer), runs the official T5Encoder (fp32) and ours on
two tokenized prompts padded to text_len, exports ours to ONNX and checks it in Java ONNX Runtime
(tools/wan/onnx-check) against the official outputs. Fixtures written to DIR:
text_umt5_reduced.onnx, text_umt5_reduced.safetensors (inputs.input_ids, inputs.attention_mask,
outputs.tokens: the official outputs with padded rows zeroed) and tokenizer_umt5_reduced.json.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
sys.path.insert(0, str(TOOLS.parent))
import config  # noqa: E402
import official  # noqa: E402
import wan_t5  # noqa: E402
import wan_tokenizer  # noqa: E402
from build_tiny_pack import write_json, write_safetensors  # noqa: E402

TOLERANCE = 1e-4
SEED = 23
ONNX_CHECK = str(TOOLS / 'onnx-check')
PROMPTS = wan_tokenizer.REFERENCE_PROMPTS[1], wan_tokenizer.REFERENCE_PROMPTS[0]  # different lengths


def write_release_t5(folder, cfg=config.REDUCED['t5'], seed=SEED, text_len=config.REDUCED['text_len']):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(wan_t5.random_state_dict(cfg, seed), folder / config.RELEASE['t5_weights'])
    return wan_tokenizer.write_reduced_tokenizer(folder / config.RELEASE['tokenizer_dir'], cfg['vocab_size'], text_len)


def official_encoder(official_dir, folder, cfg):
    """The official T5Encoder as umt5_xxl(encoder_only=True) builds it, loaded strictly in fp32.

    Built directly: _t5 enters `with torch.device(...)`, which torch 1.13 does not have; the keyword
    mapping is _t5's for encoder_only (vocab_size -> vocab, encoder_layers -> num_layers).
    """
    t5 = official.load(official_dir, 't5')
    model = t5.T5Encoder(vocab=cfg['vocab_size'], dim=cfg['dim'], dim_attn=cfg['dim_attn'], dim_ffn=cfg['dim_ffn'],
                         num_heads=cfg['num_heads'], num_layers=cfg['num_layers'], num_buckets=cfg['num_buckets'],
                         shared_pos=cfg['shared_pos'], dropout=0.1)
    state = torch.load(Path(folder) / config.RELEASE['t5_weights'], map_location='cpu')
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    return model.eval().requires_grad_(False)


def onnx_max_diff(model, reference):
    out = subprocess.run([ONNX_CHECK, str(model), str(reference)], capture_output=True, text=True, check=True).stdout
    return float(json.loads(out)['tokens']), out.strip()


def check(official_dir, out, cfg=config.REDUCED['t5'], text_len=config.REDUCED['text_len']):
    start = time.time()
    out = Path(out)
    tokenizer_path = write_release_t5(out / 'release', cfg, text_len=text_len)
    tokenizer = wan_tokenizer.UnigramTokenizer(tokenizer_path)
    rows = [tokenizer.encode_padded(p, text_len) for p in PROMPTS]
    ids = torch.tensor([r[0] for r in rows])
    mask = torch.tensor([r[1] for r in rows])

    reference = official_encoder(official_dir, out / 'release', cfg)
    ours = wan_t5.load_release(out / 'release', cfg)
    with torch.no_grad():
        want = reference(ids, mask) * mask.unsqueeze(-1)
        got = ours(ids, mask)
    torch_diff = (got - want).abs().max().item()
    print(f"lengths {mask.sum(1).tolist()}, official |tokens| max {want.abs().max():.3g} std {want[mask > 0].std():.3g}")
    print(f"ours vs official (PyTorch, fp32): max |diff| {torch_diff:.3g}")
    assert torch_diff <= TOLERANCE, torch_diff

    model = wan_t5.export_onnx(ours, out / 'text_umt5_reduced.onnx', text_len)
    fixture = out / 'text_umt5_reduced.safetensors'
    write_safetensors(fixture, {'inputs.input_ids': ids, 'inputs.attention_mask': mask, 'outputs.tokens': want})
    write_json(out / 'tokenizer_umt5_reduced.json', wan_tokenizer.token_fixture(tokenizer_path))
    onnx_diff, report = onnx_max_diff(model, fixture)
    print(f"ONNX (Java ONNX Runtime) vs official: max |diff| {onnx_diff:.3g}\n  {report.replace(chr(10), chr(10) + '  ')}")
    assert onnx_diff <= TOLERANCE, onnx_diff
    print(f"sizes: {', '.join(f'{p.name} {p.stat().st_size / 1024:.0f} KiB' for p in (model, fixture))}; "
          f"{time.time() - start:.1f} s")
    return {'torch': torch_diff, 'onnx': onnx_diff}


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--official', required=True, help='a checkout of Wan-Video/Wan2.1')
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    print(json.dumps(check(args.official, args.out)))
