#!/usr/bin/python3
"""cifar_from_folder.py: writes an image folder (DIR/train/<class>/*, DIR/test/<class>/*, 32x32
RGB) as CIFAR-10 binaries (data_batch_1.bin, test_batch.bin, batches.meta.txt: one record a
label byte then the 1024 red, 1024 green and 1024 blue bytes), the images in the same order
clnet reads the folder (classes by name, files by name), to time the two readers of the same
images against each other. Needs Debian's python3-pil (not a dependency of clnet).

    tools/cifar_from_folder.py assets/photos /tmp/photos-cifar
"""
import os
import sys

from PIL import Image


def split(src, names):
    out = bytearray()
    for k, name in enumerate(names):
        sub = os.path.join(src, name)
        if not os.path.isdir(sub):
            continue
        for f in sorted(os.listdir(sub)):
            if f.startswith("."):
                continue
            im = Image.open(os.path.join(sub, f)).convert("RGB")
            if im.size != (32, 32):
                sys.exit(f"{sub}/{f}: {im.size[0]}x{im.size[1]}, CIFAR images are 32x32")
            r, g, b = im.split()
            out += bytes([k]) + r.tobytes() + g.tobytes() + b.tobytes()
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1:]
    names = sorted(n for n in os.listdir(os.path.join(src, "train")) if not n.startswith("."))
    if len(names) > 10:
        sys.exit(f"{src}: {len(names)} classes; CIFAR-10 holds at most 10")
    os.makedirs(dst, exist_ok=True)
    with open(os.path.join(dst, "data_batch_1.bin"), "wb") as f:
        f.write(split(os.path.join(src, "train"), names))
    with open(os.path.join(dst, "test_batch.bin"), "wb") as f:
        f.write(split(os.path.join(src, "test"), names))
    with open(os.path.join(dst, "batches.meta.txt"), "w") as f:
        f.write("\n".join(names + [f"unused{k}" for k in range(len(names), 10)]) + "\n")


if __name__ == "__main__":
    main()
