"""ONNX export of one network of a Wan pack, at any size.

A protobuf message cannot exceed 2 GB, and the full-size networks do (the 1.3B DiT is 5.7 GB in
float32, the umT5-XXL encoder 22.7 GB). torch 1.13 notices this by itself and then writes every
initializer to its own file beside the model, named after the tensor. Those are gathered here into
one `<file>.data` (ONNX external data, which ONNX Runtime and TensorRT's parser both read from the
model's folder), copied file by file so a large model is never held twice; a small network stays
one file.
"""

import shutil
import sys
import tempfile
from pathlib import Path

import onnx
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from build_tiny_pack import OPSET, check_onnx_io, declare_outputs  # noqa: E402


def export(module, sample, out_dir, spec):
    """Exports `module` called on `sample` (name -> tensor, in the spec's input order) to
    out_dir/spec['file'], declares the outputs' dims as the spec does, checks the graph and its
    inputs and outputs against the spec, and returns the paths it wrote."""
    out_dir = Path(out_dir)
    path = out_dir / spec['file']
    dynamic = {t['name']: {i: d for i, d in enumerate(t['shape']) if isinstance(d, str)}
               for t in spec['inputs'] + spec['outputs']}
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        raw = Path(tmp) / path.name
        with torch.no_grad():
            torch.onnx.export(module, tuple(sample.values()), str(raw), opset_version=OPSET,
                              input_names=[t['name'] for t in spec['inputs']],
                              output_names=[t['name'] for t in spec['outputs']],
                              dynamic_axes={k: v for k, v in dynamic.items() if v}, do_constant_folding=True)
        model = onnx.load(str(raw), load_external_data=False)
        declare_outputs(model, spec)
        external = [t for t in _tensors(model.graph) if t.data_location == onnx.TensorProto.EXTERNAL]
        if external:
            _gather(external, Path(tmp), out_dir / (spec['file'] + '.data'))
        onnx.save(model, str(path))
    # The full check loads the weights into one message, which fails over 2 GB.
    onnx.checker.check_model(str(path), full_check=not external)
    check_onnx_io(model, spec, spec['file'])
    return [path] + ([out_dir / (spec['file'] + '.data')] if external else [])


def _tensors(graph):
    """Initializers and the tensors of Constant nodes: torch writes both out when the model is large
    (a LayerNorm's constant weights become a Constant node)."""
    yield from graph.initializer
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField('t'):
                yield attribute.t
            yield from attribute.tensors


def _gather(tensors, folder, data_path):
    offset = 0
    with open(data_path, 'wb') as data:
        for tensor in tensors:
            info = {e.key: e.value for e in tensor.external_data}
            source = folder / info['location']
            length = source.stat().st_size
            offset += -offset % 4096  # page-aligned, which lets ONNX Runtime map it
            data.seek(offset)
            with open(source, 'rb') as f:
                shutil.copyfileobj(f, data, 64 << 20)
            del tensor.external_data[:]
            for key, value in (('location', data_path.name), ('offset', str(offset)), ('length', str(length))):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
            offset += length
