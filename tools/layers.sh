#!/bin/sh
# layers.sh: data flows one way, CLI -> commands -> trainer -> net -> ops -> runtime -> host ->
# util. Fails (naming the line) when a file of src/ or include/clnet/ includes a header of a
# higher layer, or when a file is in no layer. `make check` runs it. A new file gets a line below.
set -eu
cd "$(dirname "$0")/.."
layer_of() {
    case "$1" in
    util | files | stop) echo 0 ;;                                  # util: errors, files, signals
    init | data | checkpoint | plot | geom | stats | hparams | ref) echo 1 ;; # host: formats, maths
    clerr | kernels | tuned | clrt | blas | gemm) echo 2 ;;        # runtime: OpenCL, CLBlast
    ops | conv | conv_tiled | relu | pool | pad | dense | loss | optim | hist | batch) echo 3 ;;
    net | spec | capture) echo 4 ;;                                 # net: layers, passes
    train | report | report_html) echo 5 ;;                         # trainer: runs, reports
    study | bench | bench_parts | bench_peak | bench_out | tune) echo 6 ;; # commands
    main | flags) echo 7 ;;                                         # CLI
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
    grep -n '#include "clnet/' "$f" | while IFS= read -r hit; do
        h=$(echo "$hit" | sed 's/.*"clnet\/\([a-z_]*\)\.h".*/\1/')
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
[ "$bad" = 0 ] && echo "layers: every include goes down (util < host < runtime < ops < net < trainer < commands < CLI)"
exit "$bad"
