#!/bin/sh
# layers.sh: data flows one way, CLI -> commands -> trainer -> net -> ops -> runtime -> host ->
# util. Fails, naming the place, when a file of src/ or include/clnet/ includes a header of a
# higher layer (in any spelling of #include), when an object file of build/ calls a function of
# a higher layer (with or without an include), or when a file is in no layer. `make check` runs
# it after the build. A new file gets a line below.
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
layer_of() {
    case "$1" in
    util | files | stop) echo 0 ;;                                      # errors, files, signals
    init | data | cifar | image | imgdir | checkpoint | plot | geom | stats | hparams | ref) echo 1 ;;
    confusion | prep | imgcache | tfevents | dist) echo 1 ;;            # host; dist: MPI
    clerr | kernels | tuned | clrt | blas | gemm) echo 2 ;;            # runtime: OpenCL, CLBlast
    ops | conv | conv_tiled | relu | pool | pad | dense | loss | optim | hist | batch) echo 3 ;;
    # spec.c is here for net.h's types; it calls host code only (make check links replay_spec
    # with spec.c, geom.c and util.c alone)
    net | spec | capture) echo 4 ;;                                     # net: layers, passes
    train | predict | export | report | report_html | parallel) echo 5 ;; # trainer: runs, reports
    study | bench | bench_parts | bench_peak | bench_out | tune) echo 6 ;; # commands
    main | flags) echo 7 ;;                                             # CLI
    *) echo "" ;;
    esac
}
names="util host runtime ops net trainer commands CLI"
name_of() { echo "$names" | cut -d' ' -f$(($1 + 1)); }
bad=0
for f in src/*.c include/clnet/*.h; do
    m=$(basename "$f" | sed 's/\.[ch]$//')
    l=$(layer_of "$m")
    if [ -z "$l" ]; then
        echo "$f: in no layer: give it one in tools/layers.sh" >&2
        bad=1
        continue
    fi
    grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]clnet/' "$f" | while IFS= read -r hit; do
        h=$(echo "$hit" | sed 's/.*clnet\/\([a-z_]*\)\.h.*/\1/')
        hl=$(layer_of "$h")
        if [ -z "$hl" ]; then
            echo "$f:${hit%%:*}: includes $h.h, which is in no layer" >&2
            echo x
        elif [ "$hl" -gt "$l" ]; then
            echo "$f:${hit%%:*}: the $(name_of "$l") layer includes $h.h of the $(name_of "$hl") layer" >&2
            echo x
        fi
    done | grep -q x && bad=1
done
# Calls: every function an object needs, by the object that defines it.
if ls "$B"/*.o >/dev/null 2>&1 && command -v nm >/dev/null; then
    defs=$(mktemp)
    nm -A --defined-only "$B"/*.o 2>/dev/null | awk '$2 ~ /^[TDRB]$/ { sub(/:.*/, "", $1); n = split($1, p, "/"); sub(/\.o$/, "", p[n]); print $3, p[n] }' | sort -u >"$defs"
    for o in "$B"/*.o; do
        m=$(basename "$o" .o)
        l=$(layer_of "$m")
        [ -n "$l" ] || continue
        nm -u "$o" | awk '{ print $NF }' | sort -u | join - "$defs" | while read -r sym d; do
            dl=$(layer_of "$d")
            if [ -n "$dl" ] && [ "$dl" -gt "$l" ]; then
                echo "$o: the $(name_of "$l") layer calls $sym of $d.c ($(name_of "$dl") layer)" >&2
                echo x
            fi
        done | grep -q x && bad=1
    done
    rm -f "$defs"
fi
[ "$bad" = 0 ] && echo "layers: every include and call goes down (util < host < runtime < ops < net < trainer < commands < CLI)"
exit "$bad"
