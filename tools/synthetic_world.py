"""The synthetic video world the tiny pack is trained on (docs/model-quality.md).

One or two flat-coloured objects (circle, square, triangle) move left, right, up or down, or stay
still, over a flat background. Clips are drawn analytically with one-pixel anti-aliasing at any size,
so the 128-pixel clips the TAE learns and the 256-pixel targets of the upsampler show the same scene.
Captions come from the templates and synonyms of synthetic_world.json.

    /usr/bin/python3 tools/synthetic_world.py --eval-list tools/quality_prompts.jsonl
writes the public evaluation list (fixed seed); training never uses those prompts verbatim.
"""
import argparse
import json
import math
import os

import numpy as np

WORLD = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "synthetic_world.json")))
SHAPES = WORLD["shapes"]
MOTIONS = WORLD["motions"]
OBJECT_COLOURS = list(WORLD["objectColours"])
BACKGROUNDS = list(WORLD["backgroundColours"])

FRAMES = 17
# Of the frame width, by the number of objects: a lone object has a radius of 44-54 pixels at
# 256, since the TAE's 1/8 latent grid rounds the corners of smaller squares and triangles
# (docs/model-quality.md, fifth session); two must leave room to pass each other.
RADIUS = {1: (0.17, 0.21), 2: (0.09, 0.13)}
SPEED = (0.014, 0.020)         # frame widths per frame: 22-32% of the width over 16 frames
MARGIN = 0.02
JITTER = 0.05                  # of the frame width, around the path's anchor
ANCHORS = {1: [(0.5, 0.5)], 2: [(0.3, 0.5), (0.7, 0.5)]}  # the first-named object left of the second
SQUARE_HALF_SIDE = 0.88        # of the radius, so the three shapes look about the same size
TRIANGLE_CIRCUMRADIUS = 1.2
DIRECTIONS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1), "still": (0, 0)}


def sample_object(rng, radius, colour=None, shape=None, motion=None, anchor=(0.5, 0.5)):
    """The object's path is centred on `anchor`, give or take JITTER, and kept inside the frame."""
    colour = colour or OBJECT_COLOURS[rng.integers(len(OBJECT_COLOURS))]
    shape = shape or SHAPES[rng.integers(len(SHAPES))]
    motion = motion or MOTIONS[rng.integers(len(MOTIONS))]
    r = rng.uniform(*radius)
    speed = rng.uniform(*SPEED)
    dx, dy = DIRECTIONS[motion]
    travel = speed * (FRAMES - 1)
    reach = r * TRIANGLE_CIRCUMRADIUS + MARGIN

    def start(centre, d):
        lo, hi = reach, 1 - reach
        if d > 0:
            hi -= travel
        elif d < 0:
            lo += travel
        return float(np.clip(centre + rng.uniform(-JITTER, JITTER) - d * travel / 2, lo, hi))

    return {"colour": colour, "shape": shape, "motion": motion, "radius": r, "speed": speed,
            "x": start(anchor[0], dx), "y": start(anchor[1], dy)}


def path(obj, frames=None):
    dx, dy = DIRECTIONS[obj["motion"]]
    i = np.arange(FRAMES) if frames is None else np.asarray(frames)
    return obj["x"] + dx * obj["speed"] * i, obj["y"] + dy * obj["speed"] * i


def overlaps(a, b):
    ax, ay = path(a)
    bx, by = path(b)
    gap = (a["radius"] + b["radius"]) * TRIANGLE_CIRCUMRADIUS + MARGIN
    return bool((np.hypot(ax - bx, ay - by) < gap).any())


def sample_scene(rng, objects=None, background=None, first=None):
    """A scene: background name and one or two objects whose paths never touch. `first` fixes
    attributes of the first object (colour/shape/motion)."""
    count = objects or (1 if rng.random() < 0.7 else 2)
    anchors = ANCHORS[count]
    while True:
        objs = [sample_object(rng, RADIUS[count], anchor=anchors[0], **(first or {}))]
        while len(objs) < count:
            other = sample_object(rng, RADIUS[count], anchor=anchors[1])
            if other["colour"] != objs[0]["colour"] and not overlaps(objs[0], other):
                objs.append(other)
        taken = {o["colour"] for o in objs}
        choices = [b for b in BACKGROUNDS if b not in taken]
        bg = background if background and background not in taken else choices[rng.integers(len(choices))]
        return {"background": bg, "objects": objs}


def signed_distance(obj, xs, ys, cx, cy):
    """Distance to the shape's edge in frame widths (negative inside); xs, ys [h, w], cx, cy [f]."""
    px = xs[None] - cx[:, None, None]
    py = ys[None] - cy[:, None, None]
    r = obj["radius"]
    if obj["shape"] == "circle":
        return np.hypot(px, py) - r
    if obj["shape"] == "square":
        return np.maximum(np.abs(px), np.abs(py)) - r * SQUARE_HALF_SIDE
    # Equilateral, apex up (image y grows downwards); the inradius is half the circumradius.
    big = r * TRIANGLE_CIRCUMRADIUS
    s = math.sqrt(3) / 2
    return np.maximum.reduce([py, s * px - 0.5 * py, -s * px - 0.5 * py]) - big / 2


def coverage(obj, xs, ys, cx, cy, size):
    """How much of each pixel the object covers, [frames, size, size]: one-pixel anti-aliasing."""
    return np.clip(0.5 - signed_distance(obj, xs, ys, cx, cy) * size, 0, 1)


def render(scene, size, frames=None):
    """The clip (or the frames listed) as float32 [frames, 3, size, size] in [-1, 1], the decoder's
    output range."""
    count = FRAMES if frames is None else len(frames)
    coords = (np.arange(size, dtype=np.float64) + 0.5) / size
    xs, ys = np.meshgrid(coords, coords)
    bg = np.array(WORLD["backgroundColours"][scene["background"]], dtype=np.float64) / 255
    video = np.broadcast_to(bg[None, :, None, None], (count, 3, size, size)).copy()
    for obj in scene["objects"]:
        cx, cy = path(obj, frames)
        cover = coverage(obj, xs, ys, cx, cy, size)[:, None]
        colour = np.array(WORLD["objectColours"][obj["colour"]], dtype=np.float64)[None, :, None, None] / 255
        video = video * (1 - cover) + colour * cover
    return (video * 2 - 1).astype(np.float32)


def pick(rng, options):
    return options[rng.integers(len(options))]


def caption(scene, rng):
    syn = WORLD["synonyms"]
    objs = scene["objects"]
    words = {"background": pick(rng, syn["background"]).format(bg=pick(rng, syn["colour"][scene["background"]]))}
    for suffix, obj in zip(("", "2"), objs):
        words["colour" + suffix] = pick(rng, syn["colour"][obj["colour"]])
        words["shape" + suffix] = pick(rng, syn["shape"][obj["shape"]])
        words["motion" + suffix] = pick(rng, syn["motion"][obj["motion"]])
    templates = WORLD["templates"] if len(objs) == 1 else WORLD["twoObjectTemplates"]
    return pick(rng, templates).format(**words)


def evaluation_list(seed):
    """One single-object prompt per (colour, shape, motion), 90 in all, with the expected attributes;
    background and wording are drawn. Render seeds are fixed so the list renders the same clips."""
    rng = np.random.default_rng(seed)
    rows = []
    combos = [(c, s, m) for c in OBJECT_COLOURS for s in SHAPES for m in MOTIONS]
    for i, (colour, shape, motion) in enumerate(combos):
        first = {"colour": colour, "shape": shape, "motion": motion}
        scene = sample_scene(rng, objects=1, first=first)
        obj = scene["objects"][0]
        rows.append({"prompt": caption(scene, rng), "seed": 1000 + i, "colour": obj["colour"],
                     "shape": obj["shape"], "motion": obj["motion"], "background": scene["background"]})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-list", help="write the public evaluation prompts (JSONL) here")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.eval_list:
        with open(args.eval_list, "w") as out:
            for row in evaluation_list(args.seed):
                out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
