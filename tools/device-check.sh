#!/bin/sh
# device-check.sh: the one short run for a lent GPU machine (a few minutes): what the device is,
# the build, the kernel and gradient suites against the plain-C references, clnet bench as JSON,
# and 50-step runs of ltfn and vgg on the shipped MNIST sample. Everything lands in $OUT (else
# ./device-check), a file per part, and a summary is printed at the end; a part that fails is
# reported and the rest still runs. Usage, from anywhere: tools/device-check.sh
# (with the device tool: run "tools/device-check.sh", timeout_s 540, then read $OUT).
set -u
cd "$(dirname "$0")/.."
out=${OUT:-device-check}
mkdir -p "$out"
status=0
part() { # part NAME SECONDS COMMAND...: runs it with a limit, output into $out/NAME.txt
    name=$1 limit=$2
    shift 2
    start=$(date +%s)
    if timeout "$limit" "$@" >"$out/$name.txt" 2>&1; then r=ok; else r="FAILED (exit $?)"; status=1; fi
    echo "$name: $r in $(($(date +%s) - start)) s" | tee -a "$out/summary.txt"
}
: >"$out/summary.txt"
part devices 30 sh -c 'command -v clinfo >/dev/null && clinfo -l; nvidia-smi -L 2>/dev/null; true'
part build 240 make -j"$(nproc)" build/clnet build/test_clnet
if [ -x build/clnet ]; then
    part clnet-devices 30 build/clnet devices
    part ops 240 env CK_RUN_SUITE=ops CK_FORK=no build/test_clnet
    part grad 240 env CK_RUN_SUITE=grad CK_FORK=no build/test_clnet
    part bench 240 build/clnet bench --repeat 3 --json "$out/bench.json"
    part ltfn 120 build/clnet train --data assets/mnist-sample --steps 50 --log-every 10 --no-output
    part vgg 180 build/clnet train --data assets/mnist-sample --arch vgg --batch 32 --steps 50 \
        --log-every 10 --no-output
fi
for f in ltfn vgg; do
    [ -f "$out/$f.txt" ] && grep -E "^device:|train throughput|^test cost" "$out/$f.txt" |
        sed "s/^/$f: /" | tee -a "$out/summary.txt"
done
exit $status
