"""Reads and writes the files of a Wan2.1 release folder in the official layout (config.RELEASE).

Python here has no safetensors package, so the format is read and written by hand: an 8-byte
little-endian header length, a JSON header of dtype, shape and data offsets, then the raw
little-endian tensors. Reading maps the file, so a 5.7 GB DiT costs no second copy until a tensor is
converted.
"""

import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from build_tiny_pack import write_safetensors  # noqa: E402,F401  (F32/I64 fixtures and packs)

from config import RELEASE  # noqa: E402

_TORCH_DTYPES = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64}
_STORED = {torch.float32: ('F32', 4), torch.float16: ('F16', 2), torch.bfloat16: ('BF16', 2), torch.int64: ('I64', 8)}


def read_safetensors(path):
    """name -> torch tensor, any of F32, F16, BF16, I64."""
    # Copy-on-write: the tensors are views of the mapped file (torch.frombuffer wants a writable
    # buffer) and nothing is copied until a tensor is converted or loaded into a module.
    raw = np.memmap(path, dtype=np.uint8, mode='c')
    length = struct.unpack('<Q', bytes(raw[:8]))[0]
    header = json.loads(bytes(raw[8:8 + length]))
    header.pop('__metadata__', None)
    base = 8 + length
    tensors = {}
    for name, entry in header.items():
        begin, end = entry['data_offsets']
        dtype = _TORCH_DTYPES[entry['dtype']]
        data = torch.frombuffer(raw[base + begin:base + end], dtype=torch.uint8)
        tensors[name] = data.view(dtype).reshape(entry['shape'])
    return tensors


def save_safetensors(path, tensors):
    """Any of F32, F16, BF16, I64, written tensor by tensor (a full-size DiT does not fit twice)."""
    header, offset = {}, 0
    for name, tensor in tensors.items():
        tag, size = _STORED[tensor.dtype]
        header[name] = {'dtype': tag, 'shape': list(tensor.shape), 'data_offsets': [offset, offset + tensor.numel() * size]}
        offset += tensor.numel() * size
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as out:
        out.write(struct.pack('<Q', len(text)) + text)
        for tensor in tensors.values():
            out.write(tensor.contiguous().view(torch.uint8).numpy().tobytes())


def write_dit(folder, cfg, state):
    """config.json as diffusers writes it for WanModel, and the weights in float32."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = {'_class_name': 'WanModel', '_diffusers_version': '0.30.0',
              **{k: cfg[k] for k in ('model_type', 'text_len', 'in_dim', 'dim', 'ffn_dim', 'freq_dim',
                                     'out_dim', 'num_heads', 'num_layers', 'eps')}}
    (folder / RELEASE['dit_config']).write_text(json.dumps(config, indent=2) + '\n')
    save_safetensors(folder / RELEASE['dit_weights'], {k: v.float() for k, v in state.items()})


def read_dit_config(folder, defaults):
    """The release's config.json over the builder's defaults (the official ignore_for_config keys,
    patch size, text dim, norms and window, are not in the file and keep the defaults)."""
    config = json.loads((Path(folder) / RELEASE['dit_config']).read_text())
    return {**defaults, **{k: v for k, v in config.items() if not k.startswith('_')}}


def read_dit_weights(folder):
    path = Path(folder) / RELEASE['dit_weights']
    if path.exists():
        return read_safetensors(path)
    # The 14B release shards its weights and lists them in an index.
    index = json.loads((Path(folder) / (RELEASE['dit_weights'] + '.index.json')).read_text())
    state = {}
    for shard in sorted(set(index['weight_map'].values())):
        state.update(read_safetensors(Path(folder) / shard))
    return state
