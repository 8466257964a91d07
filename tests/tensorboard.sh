#!/bin/sh
# tensorboard.sh CLNET PYTHON: a short run's event file read by TensorBoard's own reader
# (tests/tensorboard_check.py in the virtual environment make made), then the faults: with
# --no-tensorboard there is no event file; when the file cannot be written the run says so once,
# trains on and exits 1; a run killed with SIGKILL leaves a file TensorBoard reads to the last
# whole record.
set -eu
clnet=$1 py=$2
here=$(dirname "$0")
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
run() { "$clnet" train --data assets/mnist-sample --batch 50 --test-images 200 "$@"; }

run --steps 31 --log-every 5 --hist-every 15 --val 100 --val-every 10 --out "$t/run" >"$t/log"
"$py" "$here/tensorboard_check.py" "$t/run" "$t/log"

run --steps 3 --no-tensorboard --out "$t/none" >/dev/null
if ls "$t/none" | grep -q tfevents; then echo "tensorboard.sh: --no-tensorboard wrote an event file" >&2; exit 1; fi

# A file-size limit (per file: 2 MiB, above the images and PoCL's 1 MB preprocessed kernels) makes the
# event file's writes fail once its histograms of 1024 bins pass it (SIGXFSZ ignored: EFBIG).
status=0
(trap '' XFSZ; ulimit -f 2048; run --steps 30 --log-every 1 --hist-every 1 --hist-bins 1024 \
    --out "$t/full" >"$t/full.log" 2>"$t/full.err") || status=$?
[ "$status" = 1 ] || { echo "tensorboard.sh: a failed event file gave exit $status, want 1" >&2; cat "$t/full.err" >&2; exit 1; }
# one line, and only that one: the exit status is the event file's, not another output's
[ "$(grep -c 'TensorBoard events' "$t/full.err")" = 1 ] && [ "$(wc -l <"$t/full.err")" = 1 ] ||
    { echo "tensorboard.sh: want one message, the event file's:" >&2; cat "$t/full.err" >&2; exit 1; }
grep -q '^test cost' "$t/full.log" || { echo "tensorboard.sh: training did not go on" >&2; exit 1; }

# SIGKILL mid-run: whatever is in the file is whole records that TensorBoard loads
# (clnet itself in the background, not a subshell running it, so that the kill reaches it)
"$clnet" train --data assets/mnist-sample --batch 50 --test-images 200 --steps 100000 \
    --log-every 1 --hist-every 3 --out "$t/killed" >"$t/killed.log" 2>&1 &
pid=$!
i=0 # until it has logged step 4 (at most 120 s), then at once
while ! grep -qs '^step      4 ' "$t/killed.log" && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 $pid
status=0
wait $pid || status=$?
[ "$status" = 137 ] || { echo "tensorboard.sh: the killed run exited $status, want 137" >&2; exit 1; }
"$py" - "$t/killed" <<'EOF'
import glob, struct, sys
from tensorboard.backend.event_processing import event_file_loader
path, = glob.glob(sys.argv[1] + "/events.out.tfevents.*.clnet")
data = open(path, "rb").read()
n = at = 0
while at + 12 <= len(data):
    (length,) = struct.unpack("<Q", data[at:at + 8])
    if at + 16 + length > len(data):
        break
    at, n = at + 16 + length, n + 1
loaded = sum(1 for _ in event_file_loader.EventFileLoader(path).Load())
if loaded != n or n < 3:
    sys.exit("tensorboard.sh: killed run: %d of %d records loaded" % (loaded, n))
print("tensorboard.sh: killed run: %d records, all loaded (%d bytes, %d past the last whole record)" % (n, len(data), len(data) - at))
EOF
echo "tensorboard.sh: ok"
