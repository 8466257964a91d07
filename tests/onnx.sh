#!/bin/sh
# onnx.sh CLNET PYTHON: clnet export's models checked by the real consumers (tests/onnx_check.py
# in the virtual environment make made): onnx.checker, and ONNX Runtime beside clnet predict and
# clnet eval on test images, for every preset (ltfn, mlp, vgg) and for a colour network with
# --normalize whose spec uses every layer option. Each is trained a few steps, so its outputs
# are neither uniform nor saturated.
set -eu
clnet=$1 py=$2
here=$(dirname "$0")
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
every="pad36,conv8:5x5:s1:same,maxpool:3x3:s2,conv16:3x3:s2,avgpool:2x2,conv8:3x3:valid,fc32,classifier"
check() { # NAME DATA IMAGES TRAIN-FLAGS...
    name=$1 data=$2 n=$3
    shift 3
    "$clnet" train --data "$data" --batch 32 --no-output --save "$t/$name.ckpt" "$@" >/dev/null
    "$clnet" export --model "$t/$name.ckpt" --onnx "$t/$name.onnx" >/dev/null
    "$py" "$here/onnx_check.py" "$clnet" "$t/$name.ckpt" "$t/$name.onnx" "$data" "$n"
}
check ltfn assets/mnist-sample 100 --steps 30
check mlp assets/mnist-sample 100 --arch mlp --steps 30
check vgg assets/mnist-sample 100 --arch vgg --steps 10
check colour assets/photos 300 --arch "$every" --normalize --steps 30
echo "onnx.sh: ok"
