#!/usr/bin/python3
"""Reduced-precision copies of a pack's networks, for TensorRT (docs/gpu.md, "Precision").

TensorRT 11 builds strongly typed networks only, so a bf16 engine needs a bf16 ONNX graph:
`dit.onnx` -> `dit.bf16.onnx`. NVIDIA ModelOpt AutoCast makes one, but it does not install here, and
the official Wan code says exactly which parts run in bf16, so the policy is written out instead:

- the nodes a policy names (matrix products, the token embedding) take their inputs in the low type,
  and their float weights are stored in it (half the bytes);
- layout-only nodes (reshape, transpose, slice, ...) stay in whatever type their input has, so a
  low matrix product feeding another through a transpose needs no cast in between;
- everything else (norms, softmax where the official code upcasts it, modulation, residual adds,
  the sinusoidal time embedding, rope) computes in float32, as under the official autocast;
- graph inputs and outputs stay float32, so the manifest's tensors and what Java feeds still hold.

A network with external data gets its own `<variant>.data`, written one tensor at a time, so the
1.3B DiT (5.7 GB) is never held in memory.

    /usr/bin/python3 tools/wan/precision.py PACK/dit.onnx dit bf16 [--emulate OUT.onnx]

--emulate writes a check copy instead: the same casts and stored weights, but every low node
computes in float32 between a cast up and a cast back down, which ONNX Runtime's CPU provider can
run (it has no bf16 matrix product); its error against the references is the rounding the policy
costs, with float32 accumulation as on a GPU.
"""

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT
LOW = {'bf16': TensorProto.BFLOAT16, 'fp16': TensorProto.FLOAT16}
# Nodes that only move or select elements: exact in any type.
LAYOUT = {'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Slice', 'Split', 'Concat', 'Expand',
          'Identity', 'Gather'}
# Nodes that take any input type and whose output type does not follow it.
ANY = {'Shape', 'Size', 'Cast'}


def dit_policy(node):
    # wan/modules/model.py runs the time embedding, its projection and the head under
    # autocast(float32); the rest of the DiT's linear layers and attention products in bf16 (the
    # patch embedding Conv3d too, but ONNX types Conv for bf16 only from opset 22, and it is small).
    return node.op_type == 'MatMul' and not node.name.startswith(('/time_embedding/', '/time_projection/', '/head/'))


def umt5_policy(node):
    # wan/modules/t5.py holds the whole encoder in bf16 but upcasts the norms and the softmax; here
    # the residual stream stays float32 as well, so only the products and the embedding table are low.
    return node.op_type == 'MatMul' or (node.op_type == 'Gather' and node.input[0] == 'token_embedding.weight')


POLICIES = {'dit': dit_policy, 'text_umt5': umt5_policy}


def variant_path(onnx_path, precision):
    """dit.onnx -> dit.bf16.onnx, the name libs/engine-tensorrt's Precision looks for."""
    onnx_path = Path(onnx_path)
    return onnx_path.with_name(onnx_path.name[:-len('.onnx')] + f'.{precision}.onnx')


def convert(src, dst, precision, is_low, emulate=False):
    """Writes the reduced-precision copy of the network at src to dst (with dst.data when src has
    external data) and checks it; returns the paths written."""
    src, dst, low = Path(src), Path(dst), LOW[precision]
    model = onnx.load(str(src), load_external_data=False)
    graph = model.graph
    # Every tensor's element type, which torch writes into value_info only for small models.
    typed = onnx.shape_inference.infer_shapes(model).graph
    elem = {v.name: v.type.tensor_type.elem_type for v in list(typed.input) + list(typed.value_info) + list(typed.output)}
    elem.update({t.name: t.data_type for t in graph.initializer})
    untyped = [o for n in graph.node for o in n.output if o and o not in elem]
    if untyped:
        raise SystemExit(f"{src}: no element type for {untyped[:5]}")
    consumers = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            consumers[name].append(node)
    low_nodes = {id(n) for n in graph.node if is_low(n)}
    if not low_nodes:
        raise SystemExit(f"{src}: the policy names no node")
    stored_low = {t.name for t in graph.initializer
                  if t.data_type == FLOAT and all(id(c) in low_nodes for c in consumers[t.name])}
    dtype = {name: (low if name in stored_low else t) for name, t in elem.items()}
    nodes, casts = [], {}

    def cast(name, to):
        if not name or elem.get(name) != FLOAT or dtype[name] == to:
            return name
        if (name, to) not in casts:
            out = f'{name}/to_{"f32" if to == FLOAT else precision}'
            nodes.append(helper.make_node('Cast', [name], [out], to=to, name=out))
            elem[out], dtype[out] = FLOAT, to
            casts[name, to] = out
        return casts[name, to]

    for node in graph.node:
        floats = [i for i in node.input if i and elem.get(i) == FLOAT]
        if id(node) in low_nodes:
            want = low
        elif node.op_type in LAYOUT:
            want = low if floats and all(dtype[i] == low for i in floats) else FLOAT
        elif node.op_type in ANY:
            want = None
        else:
            want = FLOAT
        if want is not None:
            node.input[:] = [cast(i, want) for i in node.input]
        if emulate and want == low and id(node) in low_nodes:
            # Rounded inputs, float32 arithmetic, rounded output: what a bf16 kernel with float32
            # accumulation gives, in ops ONNX Runtime's CPU provider has.
            node.input[:] = [cast(i, FLOAT) for i in node.input]
            nodes.append(node)
            for k, name in enumerate(node.output):
                if elem.get(name) == FLOAT:
                    node.output[k] = f'{name}/f32'
                    nodes.append(helper.make_node('Cast', [node.output[k]], [name], to=low, name=f'{name}/round'))
                    dtype[name] = low
            continue
        nodes.append(node)
        for name in node.output:
            if elem.get(name) == FLOAT:
                dtype[name] = want or FLOAT
    for out in graph.output:
        if dtype[out.name] != FLOAT:
            # Rename the low tensor and give the graph output's name to a cast back to float32.
            inner = f'{out.name}/{precision}'
            for node in nodes:
                node.input[:] = [inner if i == out.name else i for i in node.input]
                node.output[:] = [inner if o == out.name else o for o in node.output]
            nodes.append(helper.make_node('Cast', [inner], [out.name], to=FLOAT, name=f'{out.name}/to_f32'))
    del graph.node[:]
    graph.node.extend(nodes)
    # The exporter's value_info says float32 for tensors that are now low; TensorRT needs none of it.
    del graph.value_info[:]

    external = any(t.data_location == TensorProto.EXTERNAL for t in graph.initializer) or any(
        a.t.data_location == TensorProto.EXTERNAL for n in graph.node for a in n.attribute if a.HasField('t'))
    written = [dst]
    if external:
        written.append(_rewrite_external(model, src.parent, dst.with_name(dst.name + '.data'), stored_low, low))
    else:
        for tensor in graph.initializer:
            if tensor.name in stored_low:
                tensor.CopyFrom(_to_low(numpy_helper.to_array(tensor), tensor.name, low))
    model.producer_name += ' + tools/wan/precision.py'
    onnx.save(model, str(dst))
    # Strict type inference proves every node gets the types its operator allows, without loading
    # the weights (the full check puts them in one message, which fails over 2 GB).
    onnx.checker.check_model(str(dst))
    onnx.shape_inference.infer_shapes(onnx.load(str(dst), load_external_data=False), check_type=True, strict_mode=True)
    for value in list(graph.input) + list(graph.output):
        if value.type.tensor_type.elem_type != elem[value.name]:
            raise SystemExit(f"{dst}: {value.name} changed type")
    return written


def _to_low(array, name, low):
    if low == TensorProto.FLOAT16:
        if np.abs(array).max(initial=0) > np.finfo(np.float16).max:
            raise SystemExit(f"{name} does not fit float16")
        return numpy_helper.from_array(array.astype(np.float16), name)
    bits = np.ascontiguousarray(array, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)  # round to nearest even
    tensor = TensorProto(name=name, data_type=TensorProto.BFLOAT16, dims=array.shape)
    tensor.raw_data = bits.tobytes()
    return tensor


def _rewrite_external(model, folder, data_path, stored_low, low):
    """Copies every external tensor into data_path, page-aligned as onnx_export writes them, storing
    those in stored_low in the low type; one tensor in memory at a time."""
    tensors = list(model.graph.initializer) + [a.t for n in model.graph.node for a in n.attribute if a.HasField('t')]
    handles, offset = {}, 0
    with open(data_path, 'wb') as data:
        for tensor in tensors:
            if tensor.data_location != TensorProto.EXTERNAL:
                if tensor.name in stored_low:
                    tensor.CopyFrom(_to_low(numpy_helper.to_array(tensor), tensor.name, low))
                continue
            info = {e.key: e.value for e in tensor.external_data}
            source = handles.setdefault(info['location'], open(folder / info['location'], 'rb'))
            source.seek(int(info.get('offset', 0)))
            raw = source.read(int(info['length']) if 'length' in info else -1)
            if tensor.name in stored_low:
                array = np.frombuffer(raw, dtype=np.float32).reshape(tuple(tensor.dims))
                converted = _to_low(array, tensor.name, low)
                raw = converted.raw_data
                tensor.data_type = converted.data_type
            offset += -offset % 4096
            data.seek(offset)
            data.write(raw)
            del tensor.external_data[:]
            for key, value in (('location', data_path.name), ('offset', str(offset)), ('length', str(len(raw)))):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
            offset += len(raw)
            del raw
    for handle in handles.values():
        handle.close()
    return data_path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('onnx')
    parser.add_argument('network', choices=POLICIES)
    parser.add_argument('precision', choices=LOW)
    parser.add_argument('--emulate', metavar='OUT', help='write the float32-arithmetic check copy to OUT')
    args = parser.parse_args()
    out = args.emulate or variant_path(args.onnx, args.precision)
    for path in convert(args.onnx, out, args.precision, POLICIES[args.network], emulate=bool(args.emulate)):
        print(f"{path}: {os.path.getsize(path):,} bytes")


if __name__ == '__main__':
    sys.exit(main())
