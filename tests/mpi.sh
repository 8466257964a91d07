#!/bin/sh
# mpi.sh CLNET: data-parallel training on 2 MPI ranks of this host (Open MPI's mpirun).
# - 2 ranks (over TCP) against 1 process at the same global batch: every logged cost and
#   validation within 1e-4 relative, test accuracy (999 images, split unevenly) within 0.1
#   point, the weights the same on both ranks; 3 ranks likewise; a diverging run stops at the
#   same step and tensor;
# - Ctrl-C on mpirun: rank 0 saves a checkpoint that loads;
# - a 2-rank checkpoint resumed by 1 process and a 1-process checkpoint by 2 ranks continue the
#   same costs;
# - a rank killed mid-run ends the job, non-zero, naming rank 1, and the checkpoint loads;
# - a rank stopped (SIGSTOP) is caught by --mpi-timeout;
# - ranks with another --arch or --data, and a batch that does not split, are refused before
#   training, with one line; weights that differ across ranks (another kernel) stop the job at
#   the first log step.
# The network is small and shallow: ltfn's costs drift by up to 1e-3 in 20 steps between any two
# orders of float sums (two GEMM paths of one process do the same), which would hide a real fault.
set -eu
clnet=$1
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
# mpirun refuses root unless told (containers and CI run as root); two ranks on any machine
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
fail() { echo "mpi.sh: $*" >&2; exit 1; }
A="--data assets/mnist-sample --batch 100 --log-every 1 --hist-every 0 --no-output
   --arch conv8,pool,conv16,pool,fc10 --augment flip,crop:2 --test-images 999"
one() { timeout 300 "$clnet" train $A "$@"; }
two() { timeout 300 mpirun -np 2 "$clnet" train $A "$@"; }
two_tcp() {
    timeout 300 mpirun -np 2 --mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include lo \
        "$clnet" train $A "$@"
}
# "step cost" of each log line and "v<step> cost" of each validation line
costs() {
    grep '^step' "$1" | awk '{ print $2, $6 }'
    sed -n 's/^validation after step \([0-9]*\) .*: cost \([0-9.]*\) .*/v\1 \2/p' "$1"
}
accuracy() { sed -n 's/^test cost [0-9.]*  test accuracy \([0-9.]*\)%.*/\1/p' "$1"; }
# the costs of log $2 (steps and all) those of log $1 within 1e-4 relative
same_costs() {
    costs "$1" >"$t/a"
    costs "$2" >"$t/b"
    [ "$(wc -l <"$t/a")" -gt 0 ] && [ "$(cut -d' ' -f1 "$t/a")" = "$(cut -d' ' -f1 "$t/b")" ] ||
        fail "$3: the logged steps differ"
    paste -d' ' "$t/a" "$t/b" | awk -v what="$3" '{ d = ($4 - $2) / $2; d = d < 0 ? -d : d;
        if (d > m) m = d } END { printf "mpi.sh: %s: costs within %.2g relative\n", what, m;
        exit m > 1e-4 }' || fail "$3: a cost differs by more than 1e-4"
}

# 2 ranks of 50 images (TCP, loopback) against 1 process of 100, validating every 10 steps,
# --check-finite on, 999 test images (499 and 500 a rank)
V="--val 100 --val-every 10 --check-finite"
one --steps 20 $V >"$t/one.v"
two_tcp --steps 20 $V >"$t/two" 2>"$t/two.err" ||
    { cat "$t/two.err" >&2; fail "2 ranks over TCP failed"; }
same_costs "$t/one.v" "$t/two" "2 ranks over TCP against 1 process"
grep -q '^validation after step 9 ' "$t/two" || fail "2 ranks: no validation line"
a1=$(accuracy "$t/one.v") a2=$(accuracy "$t/two")
awk -v a="$a1" -v b="$a2" 'BEGIN { d = a - b; exit (d < 0 ? -d : d) > 0.1 }' ||
    fail "test accuracy $a2% on 2 ranks, $a1% in 1 process"
grep -q '^data parallel: 2 ranks (MPI), 50 images each' "$t/two" || fail "no data-parallel line"
grep -q '^weights: the same on all 2 ranks at every log step' "$t/two" || fail "no weights line"
[ "$(grep -c '^step' "$t/two")" = 20 ] || fail "rank 1 printed too (or steps are missing)"

# 3 ranks of 33 (more ranks than cores) against 1 process of 99
one --steps 12 --batch 99 >"$t/one99"
timeout 300 mpirun -np 3 "$clnet" train $A --steps 12 --batch 99 >"$t/three"
same_costs "$t/one99" "$t/three" "3 ranks against 1 process"

# a diverging run stops at the same step, naming the same tensor, with exit 3
D="--steps 30 --init scaled --init-scale 100000 --lr 100 --check-finite"
status=0
one $D >/dev/null 2>"$t/d1" || status=$?
[ "$status" = 3 ] || { cat "$t/d1" >&2; fail "divergence in 1 process: exit $status, want 3"; }
status=0
two $D >/dev/null 2>"$t/d2" || status=$?
[ "$status" = 3 ] || { cat "$t/d2" >&2; fail "divergence on 2 ranks: exit $status, want 3"; }
[ "$(grep -c '^clnet:' "$t/d2")" = 1 ] || { cat "$t/d2" >&2; fail "divergence: want one line"; }
w1=$(sed -n 's/^\(clnet: step [0-9]*: .*non-finite values in [a-z0-9_]*\) .*/\1/p' "$t/d1")
w2=$(sed -n 's/^\(clnet: step [0-9]*: .*non-finite values in [a-z0-9_]*\) .*/\1/p' "$t/d2")
[ -n "$w1" ] && [ "$w1" = "$w2" ] || fail "divergence: '$w2' on 2 ranks, '$w1' in 1 process"

one --steps 20 >"$t/one"
# resume across rank counts: 2 -> 1 and 1 -> 2 continue the uninterrupted run
two --steps 10 --save "$t/a.ckpt" >"$t/a1"
one --steps 20 --resume "$t/a.ckpt" >"$t/a2"
cat "$t/a1" "$t/a2" >"$t/a12"
same_costs "$t/one" "$t/a12" "2 ranks resumed by 1 process"
one --steps 10 --save "$t/b.ckpt" >"$t/b1"
two --steps 20 --resume "$t/b.ckpt" >"$t/b2"
cat "$t/b1" "$t/b2" >"$t/b12"
same_costs "$t/one" "$t/b12" "1 process resumed by 2 ranks"

# rank $1's pid among the ranks of the job whose --save is $2
rank_pid() {
    for p in $(pgrep -f "train.*$2" || true); do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" &&
            echo "$p"
    done
}
# starts a long 2-rank job saving to $t/$1.ckpt (args after $1 added), waits for its step 4
long_job() {
    name=$1
    shift
    mpirun -np 2 "$clnet" train $A --steps 100000 --save "$t/$name.ckpt" --save-every 2 "$@" \
        >"$t/$name.log" 2>&1 &
    job=$!
    i=0
    while ! grep -qs '^step      4 ' "$t/$name.log" && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
    pid=$(rank_pid 1 "$name.ckpt")
    [ -n "$pid" ] || fail "$name: no rank 1 found"
}
# waits at most 60 s for the job: its exit status in $status
end_of_job() {
    i=0
    while kill -0 $job 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
    kill -0 $job 2>/dev/null && { pkill -9 -f "train.*$1.ckpt"; fail "$1: the job did not end"; }
    status=0
    wait $job || status=$?
    [ "$status" != 0 ] || fail "$1: the job exited 0"
}

long_job killed
kill -9 "$pid"
end_of_job killed
grep -q 'rank 1 .*exited on signal 9' "$t/killed.log" || { cat "$t/killed.log" >&2; fail "no line names rank 1"; }
"$clnet" eval --model "$t/killed.ckpt" --data assets/mnist-sample --test-images 100 >/dev/null ||
    fail "the checkpoint of the killed job does not load"

long_job stopped --mpi-timeout 3
kill -STOP "$pid"
end_of_job stopped
grep -q 'no answer from the other ranks for 3 s (--mpi-timeout)' "$t/stopped.log" ||
    { cat "$t/stopped.log" >&2; fail "a stopped rank was not caught by the timeout"; }
kill -9 "$pid" 2>/dev/null || true

# Ctrl-C on mpirun (it sends SIGTERM to every rank): the ranks stop after one step, rank 0 saves
# and says so, and the checkpoint loads
mpirun -np 2 "$clnet" train $A --steps 100000 --save "$t/int.ckpt" --save-every 1000 \
    >"$t/int.log" 2>"$t/int.err" &
job=$!
i=0
while ! grep -qs '^step      4 ' "$t/int.log" && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
kill -INT $job
end_of_job int
grep -q '^clnet: terminated (SIGTERM) after step [0-9]*: checkpoint written to' "$t/int.err" ||
    { cat "$t/int.err" >&2; fail "Ctrl-C: rank 0 did not save"; }
"$clnet" eval --model "$t/int.ckpt" --data assets/mnist-sample --test-images 100 >/dev/null ||
    fail "the checkpoint written on Ctrl-C does not load"

# refused before training, one line of clnet's
refused() {
    what=$1
    shift
    status=0
    timeout 120 mpirun "$@" >"$t/r.out" 2>"$t/r.err" || status=$?
    [ "$status" = 2 ] || { cat "$t/r.err" >&2; fail "$what: exit $status, want 2"; }
    grep -q '^step' "$t/r.out" && fail "$what: it trained"
    [ "$(grep -c '^clnet:' "$t/r.err")" = 1 ] || { cat "$t/r.err" >&2; fail "$what: want one line"; }
    grep "^clnet:" "$t/r.err"
}
refused "--arch" -np 1 "$clnet" train $A --steps 5 : -np 1 "$clnet" train $A --steps 5 --arch mlp
grep -q "rank 1 runs another job than rank 0: --arch is 'fc500,fc500,fc10' there" "$t/r.err" ||
    fail "--arch: the line does not say what differs"
refused "--data" -np 1 "$clnet" train $A --steps 5 : -np 1 "$clnet" train $A --steps 5 \
    --data /usr/share/datasets/fashion-mnist
grep -q "rank 1 runs another job than rank 0: --data is" "$t/r.err" ||
    fail "--data: the line does not say what differs"
refused "--batch 101" -np 2 "$clnet" train $A --steps 5 --batch 101
grep -q -- "--batch 101: the global batch does not split evenly among the 2 ranks" "$t/r.err" ||
    fail "--batch 101: not named"
# weights that drift apart stop the job at the first log step, naming it: rank 1's SGD update
# is changed by 1e-4 through --kernels (other kernels on one host)
mkdir "$t/kernels"
cp kernels/*.cl "$t/kernels"
sed -i 's/p\[i\] -= lr \* g;/p[i] -= 1.0001f * lr * g;/' "$t/kernels/optim.cl"
grep -q '1.0001f' "$t/kernels/optim.cl" || fail "optim.cl: the SGD update was not found"
status=0
timeout 120 mpirun -np 1 "$clnet" train $A --steps 5 : -np 1 "$clnet" train $A --steps 5 \
    --kernels "$t/kernels" >"$t/w.out" 2>"$t/w.err" || status=$?
[ "$status" = 1 ] || { cat "$t/w.err" >&2; fail "drifting weights: exit $status, want 1"; }
grep -q "^clnet: after step 0: the weights of rank 1 differ from rank 0's" "$t/w.err" ||
    { cat "$t/w.err" >&2; fail "drifting weights: not named"; }
[ "$(grep -c '^clnet:' "$t/w.err")" = 1 ] || { cat "$t/w.err" >&2; fail "drifting weights: want one line"; }
echo "mpi.sh: ok"
