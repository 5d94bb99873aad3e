"""ONNX export of one network of a Wan pack, at any size.

A protobuf message cannot exceed 2 GB, and the full-size networks do (the 1.3B DiT is 5.7 GB in
float32, the umT5-XXL encoder about 22 GB). Such a network is written as `<file>` holding the graph
plus `<file>.data` holding every weight (ONNX external data, one file, which ONNX Runtime and
TensorRT's parser both read from the model's folder); a small network stays one file.
"""

import os
import sys
from pathlib import Path

import onnx
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from build_tiny_pack import OPSET, check_onnx_io  # noqa: E402

PROTOBUF_LIMIT = 2 ** 31 - 1


def parameter_bytes(module):
    return sum(t.numel() * t.element_size() for t in list(module.parameters()) + list(module.buffers()))


def export(module, sample, out_dir, spec):
    """Exports `module` called on `sample` (name -> tensor, in the spec's input order) to
    out_dir/spec['file'], declares the outputs' dims as the spec does, checks the graph and its
    inputs and outputs against the spec, and returns the paths it wrote."""
    out_dir = Path(out_dir)
    path = out_dir / spec['file']
    data_name = spec['file'] + '.data'
    dynamic = {t['name']: {i: d for i, d in enumerate(t['shape']) if isinstance(d, str)}
               for t in spec['inputs'] + spec['outputs']}
    large = parameter_bytes(module) > PROTOBUF_LIMIT - 64 * 2 ** 20
    before = set(os.listdir(out_dir))
    with torch.no_grad():
        torch.onnx.export(module, tuple(sample.values()), str(path), opset_version=OPSET,
                          input_names=[t['name'] for t in spec['inputs']],
                          output_names=[t['name'] for t in spec['outputs']],
                          dynamic_axes={k: v for k, v in dynamic.items() if v},
                          do_constant_folding=not large)
    # torch writes a large model's weights as one file per tensor next to it; gather them into one.
    strays = set(os.listdir(out_dir)) - before - {spec['file']}
    model = onnx.load(str(path), load_external_data=large)
    # The exporter's shape inference loses fixed dims behind reshapes built from runtime sizes and
    # invents names for them; declare the outputs exactly as the manifest does.
    for value in model.graph.output:
        declared = next(t for t in spec['outputs'] if t['name'] == value.name)['shape']
        for dim, size in zip(value.type.tensor_type.shape.dim, declared):
            dim.Clear()
            if isinstance(size, str):
                dim.dim_param = size
            else:
                dim.dim_value = size
    if large:
        for stray in strays:
            (out_dir / stray).unlink()
        onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=data_name, size_threshold=1024)
    else:
        onnx.save_model(model, str(path))
    onnx.checker.check_model(str(path), full_check=True)
    check_onnx_io(onnx.load(str(path), load_external_data=False), spec, spec['file'])
    return [path] + ([out_dir / data_name] if large else [])
