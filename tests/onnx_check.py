#!/usr/bin/env python3
"""onnx_check.py CLNET CKPT ONNX DATA N: checks an ONNX model of clnet export with the real
consumers: onnx.checker (full check) accepts it; ONNX Runtime's probabilities on N test images
equal clnet predict's on the same images (relative 1e-4); ONNX Runtime's test cost and accuracy
over those images equal clnet eval's. DATA is an IDX folder (the first N test images, written
as PNGs for clnet predict) or an image folder (its first N test images in clnet's order).
Exit 0, or 1 naming the first difference."""
import gzip
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image


def fail(msg):
    print("onnx_check: " + msg, file=sys.stderr)
    sys.exit(1)


def idx_images(folder, n):
    with gzip.open(os.path.join(folder, "t10k-images-idx3-ubyte.gz")) as f:
        raw = f.read()
    count, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    px = np.frombuffer(raw, np.uint8, offset=16).reshape(count, 1, rows, cols)[:n]
    with gzip.open(os.path.join(folder, "t10k-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)[:n]
    return px, labels.astype(np.int64)


def folder_images(folder, n, channels):
    """The test images in clnet's order: classes and files by bytes."""
    test = os.path.join(folder, "test")
    classes = sorted(os.listdir(os.path.join(folder, "train")), key=os.fsencode)
    files, labels = [], []
    for k, c in enumerate(classes):
        d = os.path.join(test, c)
        for name in sorted(os.listdir(d), key=os.fsencode) if os.path.isdir(d) else []:
            if not name.startswith("."):
                files.append(os.path.join(d, name))
                labels.append(k)
    files, labels = files[:n], labels[:n]
    mode = "L" if channels == 1 else "RGBA" if channels == 4 else "RGB"
    planes = []
    for p in files:
        a = np.asarray(Image.open(p).convert(mode))
        planes.append(a[None] if channels == 1 else a.transpose(2, 0, 1))
    px = np.stack(planes)
    return px, np.array(labels, np.int64), files


def main():
    clnet, ckpt, path, data, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    meta = {p.key: p.value for p in model.metadata_props}
    for key in ("classes", "clnet_version", "clnet_spec", "normalization"):
        if key not in meta:
            fail("%s: no %s in metadata_props" % (path, key))
    names = meta["classes"].split("\n")
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    tmp = tempfile.mkdtemp()
    if os.path.exists(os.path.join(data, "t10k-images-idx3-ubyte.gz")):
        px, labels = idx_images(data, n)
        files = []
        for i, img in enumerate(px):
            files.append(os.path.join(tmp, "%05d.png" % i))
            Image.fromarray(img[0]).save(files[-1])
    else:
        px, labels, files = folder_images(data, n, shape[0])
    x = px.astype(np.float32) / 255
    logits, probs = sess.run(["logits", "probabilities"], {"image": x})
    if list(x.shape[1:]) != shape or logits.shape != (len(files), len(names)):
        fail("shapes: input %s (model %s), logits %s" % (x.shape, shape, logits.shape))
    out = subprocess.run([clnet, "predict", "--model", ckpt, "--json", "--top", str(min(64, len(names)))]
                         + files, check=True, capture_output=True, text=True).stdout
    got = {im["file"]: im["top"] for im in json.loads(out)["images"]}
    worst = worst_logit = 0.0
    for i, f in enumerate(files):
        for t in got[f]:
            want = float(probs[i][t["index"]])
            err = abs(t["probability"] - want) / max(abs(want), 1e-6)
            worst = max(worst, err)
            if err > 1e-4:
                fail("%s class %s: clnet %.9g, ONNX Runtime %.9g" % (f, t["class"], t["probability"], want))
        if len(got[f]) == len(names) and all(t["probability"] > 1e-30 for t in got[f]):
            # clnet's log-probabilities are its logits up to a constant: compare both centred
            lp = np.zeros(len(names))
            for t in got[f]:
                lp[t["index"]] = math.log(t["probability"])
            d = np.abs((lp - lp.mean()) - (logits[i] - logits[i].mean()))
            scale = max(1.0, float(np.abs(logits[i] - logits[i].mean()).max()))
            worst_logit = max(worst_logit, float(d.max()) / scale)
            if d.max() > 1e-4 * scale:
                fail("%s: logits differ by %.3g (clnet's from its probabilities)" % (f, d.max()))
        if got[f][0]["index"] != int(np.argmax(probs[i])):
            top2 = np.sort(probs[i])[-2:]
            if top2[1] - top2[0] > 1e-6:
                fail("%s: clnet predicts %s, ONNX Runtime %s" % (f, got[f][0]["class"], names[int(np.argmax(probs[i]))]))
    ev = subprocess.run([clnet, "eval", "--model", ckpt, "--data", data, "--test-images", str(len(files))],
                        check=True, capture_output=True, text=True).stdout
    m = re.search(r"test cost (\S+) +test accuracy (\S+)%", ev)
    if not m:
        fail("clnet eval printed no test line:\n" + ev)
    cost = float(np.mean(-np.log(np.maximum(probs[np.arange(len(labels)), labels], 1e-30))))
    acc = 100.0 * float(np.mean(np.argmax(logits, 1) == labels))
    if abs(cost - float(m.group(1))) > 1e-4 * max(1, cost) + 5e-5 or abs(acc - float(m.group(2))) > 0.006:
        fail("test cost/accuracy: clnet eval %s / %s%%, ONNX Runtime %.4f / %.2f%%" % (m.group(1), m.group(2), cost, acc))
    print("onnx_check: %s: checker ok; %d images: max relative difference of the probabilities %.2g, "
          "of the logits %.2g; test cost %.4f, accuracy %.2f%% (clnet eval: %s, %s%%); %d nodes, opset %d"
          % (os.path.basename(path), len(files), worst, worst_logit, cost, acc, m.group(1), m.group(2),
             len(model.graph.node), model.opset_import[0].version))


main()
