#!/usr/bin/python3
"""Times PyTorch eager on the tiny pack's DiT (the same seeded weights build_tiny_pack.py exports) for
one guided step: a batch of 2 (conditional + unconditional). Prints one JSON line per case.

    /usr/bin/python3 tools/bench_dit_torch.py [--threads N] [--runs 10] [--warmup 3]
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import flowreel_models as fm  # noqa: E402

CASES = {"latent_8x4x16x16": (4, 16, 16), "latent_8x5x16x16": (5, 16, 16)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dit = fm.build_network("dit")
    gen = torch.Generator().manual_seed(0)
    for case, (t, h, w) in CASES.items():
        inputs = (torch.randn(2, fm.LATENT_CHANNELS, t, h, w, generator=gen), torch.tensor([0.5, 0.5]),
                  torch.randn(2, 32, 64, generator=gen), torch.randn(2, 64, generator=gen),
                  torch.randn(2, 64, 48, generator=gen), torch.randn(2, 48, 64, generator=gen))
        times = []
        with torch.inference_mode():
            for i in range(args.warmup + args.runs):
                start = time.perf_counter()
                dit(*inputs)
                if i >= args.warmup:
                    times.append((time.perf_counter() - start) * 1000)
        print(json.dumps({"case": case, "threads": args.threads, "median_ms": round(statistics.median(times), 2)}))


if __name__ == "__main__":
    main()
