#!/bin/sh
# killtest.sh: SIGKILL clnet train while it writes checkpoints, N times, and check after each
# kill that the checkpoint still loads (clnet eval). Half the kills wait for a temporary file
# (a checkpoint being written) and strike then; the rest strike at a random moment.
#   tools/killtest.sh [N] [DATA]    (defaults: 20, assets/mnist-sample)
set -u
N=${1:-20}
DATA=${2:-assets/mnist-sample}
BIN=${CLNET_BIN:-build/clnet}
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
ok=0 mid=0
for i in $(seq 1 "$N"); do
    "$BIN" train --data "$DATA" --batch 5 --steps 1000000 --log-every 100000 --hist-every 0 \
        --no-output --save "$D/ck" --save-every 1 >"$D/out" 2>&1 &
    pid=$!
    while [ ! -f "$D/ck" ]; do sleep 0.05; done
    if [ $((i % 2)) = 0 ]; then
        # strike while a checkpoint is being written (after a random 0-2 s)
        sleep "$(od -An -N2 -tu2 /dev/urandom | awk '{ printf "%.3f", ($1 % 2000) / 1000 }')"
        t=0
        while ! ls "$D"/ck.tmp.* >/dev/null 2>&1 && [ $t -lt 20000 ]; do t=$((t + 1)); done
    else
        sleep "$(od -An -N2 -tu2 /dev/urandom | awk '{ printf "%.3f", ($1 % 3000) / 1000 }')"
    fi
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    if ls "$D"/ck.tmp.* >/dev/null 2>&1; then mid=$((mid + 1)); fi
    if "$BIN" eval --model "$D/ck" --data "$DATA" --test-images 100 >"$D/eval" 2>&1; then
        ok=$((ok + 1))
        echo "kill $i: checkpoint loads ($(grep -o 'trained [0-9]* steps' "$D/eval"))"
    else
        echo "kill $i: BROKEN: $(cat "$D/eval")"
    fi
    rm -f "$D"/ck.tmp.*
done
echo "$ok of $N kills left a loadable checkpoint; $mid struck while a checkpoint was being written"
[ "$ok" = "$N" ]
