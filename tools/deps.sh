#!/bin/sh
# Installs the Debian packages clnet needs, if any is missing. Runs apt-get as root, or through
# sudo when that works without a password; otherwise prints the exact command and fails.
# clblast-utils: the GEMM tuner `clnet tune` runs; protobuf-c: TensorBoard's event files;
# python3-venv: the environment of TensorBoard's reader that the tests run; Open MPI:
# data-parallel training (mpirun).
set -eu
PKGS="ocl-icd-opencl-dev opencl-headers pocl-opencl-icd libclblast-dev libstb-dev check
zlib1g-dev pkg-config clinfo dataset-fashion-mnist make gcc clblast-utils
libprotobuf-c-dev protobuf-c-compiler python3-venv libopenmpi-dev openmpi-bin"
missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "deps: missing Debian packages; run as root:" >&2
    echo "  apt-get update && apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists: update first (once) so install finds anything.
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
