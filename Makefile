# clnet: a convolutional-network trainer in C11 on OpenCL.
# make            build build/clnet (kernels embedded)
# make deps       install the Debian packages clnet needs (tools/deps.sh)
# make test       deps, build, the layer check (tools/layers.sh), the Check suites and CLI tests
# make demo       deps, build, train on Fashion-MNIST and report test cost and accuracy
# make bench      deps, build, clnet bench (table on stdout, JSON in results/bench.json)
# make tune       deps, build, clnet tune (CLBlast's GEMM tuned for the device, kept per device)
# make asan       the whole test suite built with AddressSanitizer and UBSan
# make fuzz       libFuzzer on the IDX reader, the checkpoint decoder, the --arch parser and the
#                 CIFAR readers
#                 (clang; FUZZ_SECONDS each)
# make clean

CC      ?= cc
PKGS     = OpenCL clblast zlib
# Recursive (=) so pkg-config runs when a recipe needs it, after `make deps`.
CFLAGS_BASE = -std=c11 -Wall -Wextra -Wshadow -Iinclude -Ibuild -isystem /usr/include/stb $(shell pkg-config --cflags $(PKGS))
OPT     ?= -O2 -g
LIBS     = $(shell pkg-config --libs $(PKGS)) -lm
TEST_LIBS = $(shell pkg-config --libs check)

B       ?= build
SRC      = $(filter-out src/main.c,$(wildcard src/*.c))
OBJ      = $(SRC:src/%.c=$(B)/%.o) $(B)/kernels.o
TEST_SRC = $(wildcard tests/*.c)
TEST_OBJ = $(TEST_SRC:tests/%.c=$(B)/tests/%.o)
KERNELS  = $(wildcard kernels/*.cl)
HEADERS  = $(wildcard include/clnet/*.h) $(wildcard tests/*.h)

.PHONY: all deps test check demo bench tune asan fuzz clean
all: $(B)/clnet

deps:
	@tools/deps.sh

$(B)/embed: tools/embed.c
	@mkdir -p $(B)
	$(CC) -std=c11 -O2 -Wall -Wextra -o $@ $<

$(B)/kernels.c: $(KERNELS) $(B)/embed
	$(B)/embed $@ $(KERNELS)

$(B)/%.o: src/%.c $(HEADERS)
	@mkdir -p $(B)
	$(CC) $(CFLAGS_BASE) $(OPT) $(EXTRA_CFLAGS) -c -o $@ $<

# bench reports what it was built with, so results from different machines compare.
$(B)/bench_out.o: src/bench_out.c $(HEADERS)
	@mkdir -p $(B)
	$(CC) $(CFLAGS_BASE) $(OPT) $(EXTRA_CFLAGS) \
	    -DCLNET_CLBLAST_VERSION='"$(shell pkg-config --modversion clblast)"' \
	    -DCLNET_BUILD_FLAGS='"$(CC) $(OPT) $(EXTRA_CFLAGS)"' -c -o $@ $<

$(B)/kernels.o: $(B)/kernels.c include/clnet/kernels.h
	$(CC) $(CFLAGS_BASE) $(OPT) $(EXTRA_CFLAGS) -c -o $@ $<

$(B)/tests/%.o: tests/%.c $(HEADERS)
	@mkdir -p $(B)/tests
	$(CC) $(CFLAGS_BASE) -I/usr/include/stb $(shell pkg-config --cflags check) $(OPT) $(EXTRA_CFLAGS) -c -o $@ $<

$(B)/clnet: $(OBJ) $(B)/main.o
	$(CC) $(EXTRA_CFLAGS) -o $@ $^ $(LIBS)

$(B)/test_clnet: $(OBJ) $(TEST_OBJ)
	$(CC) $(EXTRA_CFLAGS) -o $@ $^ $(TEST_LIBS) $(LIBS)

# The README's test command. CK_FORK=no: one OpenCL context for the whole run.
test: deps
	@$(MAKE) --no-print-directory check

# The fuzz targets linked with only what their fuzzers link (fuzz/replay.c for a main): a target
# that needs more no longer links. They replay tests/fuzz-regressions/.
FUZZ_IDX_SRC = fuzz/fuzz_idx.c src/data.c src/cifar.c src/files.c src/util.c
FUZZ_CKPT_SRC = fuzz/fuzz_checkpoint.c src/checkpoint.c src/files.c src/util.c
FUZZ_SPEC_SRC = fuzz/fuzz_spec.c src/spec.c src/geom.c src/util.c
FUZZ_CIFAR_SRC = fuzz/fuzz_cifar.c src/cifar.c src/files.c src/util.c
FUZZ_IMAGE_SRC = fuzz/fuzz_image.c src/image.c src/files.c src/util.c
FUZZ_IMGCACHE_SRC = fuzz/fuzz_imgcache.c src/imgcache.c src/data.c src/cifar.c src/files.c \
                    src/util.c
FUZZ_IMGDIR_SRC = fuzz/fuzz_imgdir.c src/imgdir.c src/image.c src/imgcache.c src/data.c \
                  src/cifar.c src/files.c src/util.c
$(B)/replay_idx: fuzz/replay.c $(FUZZ_IDX_SRC) $(HEADERS)
	$(CC) $(CFLAGS_BASE) $(OPT) $(EXTRA_CFLAGS) -o $@ fuzz/replay.c $(FUZZ_IDX_SRC) -lz
$(B)/replay_ckpt: fuzz/replay.c $(FUZZ_CKPT_SRC) $(HEADERS)
	$(CC) $(CFLAGS_BASE) $(OPT) $(EXTRA_CFLAGS) -o $@ fuzz/replay.c $(FUZZ_CKPT_SRC) -lz -lm
$(B)/replay_spec: fuzz/replay.c $(FUZZ_SPEC_SRC) $(HEADERS)
	$(CC) $(CFLAGS_BASE) $(OPT) $(EXTRA_CFLAGS) -o $@ fuzz/replay.c $(FUZZ_SPEC_SRC)
$(B)/replay_cifar: fuzz/replay.c $(FUZZ_CIFAR_SRC) $(HEADERS)
	$(CC) $(CFLAGS_BASE) $(OPT) $(EXTRA_CFLAGS) -o $@ fuzz/replay.c $(FUZZ_CIFAR_SRC) -lz
$(B)/replay_image: fuzz/replay.c $(FUZZ_IMAGE_SRC) $(HEADERS)
	$(CC) $(CFLAGS_BASE) $(OPT) $(EXTRA_CFLAGS) -o $@ fuzz/replay.c $(FUZZ_IMAGE_SRC) -lm
$(B)/replay_imgcache: fuzz/replay.c $(FUZZ_IMGCACHE_SRC) $(HEADERS)
	$(CC) $(CFLAGS_BASE) $(OPT) $(EXTRA_CFLAGS) -o $@ fuzz/replay.c $(FUZZ_IMGCACHE_SRC) -lz
$(B)/replay_imgdir: fuzz/replay.c $(FUZZ_IMGDIR_SRC) $(HEADERS)
	$(CC) $(CFLAGS_BASE) $(OPT) $(EXTRA_CFLAGS) -o $@ fuzz/replay.c $(FUZZ_IMGDIR_SRC) -lz -lm \
	    -lpthread

check: $(B)/clnet $(B)/test_clnet $(B)/replay_idx $(B)/replay_ckpt $(B)/replay_spec $(B)/replay_cifar \
       $(B)/replay_image $(B)/replay_imgcache $(B)/replay_imgdir
	B=$(B) tools/layers.sh
	for k in idx ckpt spec cifar image imgcache imgdir; do $(B)/replay_$$k $$(find tests/fuzz-regressions/$$k -type f 2>/dev/null) || exit 1; done
	CK_FORK=no CLNET_BIN=$(B)/clnet $(B)/test_clnet


demo: deps
	@$(MAKE) --no-print-directory $(B)/clnet
	$(B)/clnet train --steps 100 --log-every 20

# The kernel benchmark table for the default device (results/ keeps the JSON).
bench: deps
	@$(MAKE) --no-print-directory $(B)/clnet
	@mkdir -p results
	$(B)/clnet bench --json results/bench.json

# Tunes CLBlast's GEMM for the default device and keeps the parameters (clnet tune --help).
tune: deps
	@$(MAKE) --no-print-directory $(B)/clnet
	$(B)/clnet tune

# PoCL and the ICD loader keep allocations alive until exit, so leak checking is off; every
# other ASan/UBSan report fails the run.
asan: deps
	@$(MAKE) --no-print-directory B=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    ASAN_OPTIONS=detect_leaks=0 check

# libFuzzer targets (Debian's clang). Findings go to build-fuzz/crash-*; keep each one as a
# regression input in tests/fuzz-regressions/.
FUZZ_SECONDS ?= 600
FUZZ_CC ?= clang
# The checkpoint's CRC is skipped in fuzzing builds so the fuzzer reaches the decoder behind it.
FUZZ_FLAGS = -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
             -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
fuzz: deps
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs clang: apt-get install clang" >&2; exit 1; }
	@mkdir -p build-fuzz/seeds/idx build-fuzz/seeds/ckpt build-fuzz/seeds/spec \
	    build-fuzz/seeds/cifar build-fuzz/seeds/image build-fuzz/seeds/imgcache \
	    build-fuzz/seeds/imgdir build-fuzz/corpus-idx build-fuzz/corpus-ckpt \
	    build-fuzz/corpus-spec build-fuzz/corpus-cifar build-fuzz/corpus-image \
	    build-fuzz/corpus-imgcache build-fuzz/corpus-imgdir
	$(FUZZ_CC) $(FUZZ_FLAGS) -o build-fuzz/fuzz_idx $(FUZZ_IDX_SRC) -lz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o build-fuzz/fuzz_checkpoint $(FUZZ_CKPT_SRC) -lz -lm
	$(FUZZ_CC) $(FUZZ_FLAGS) -o build-fuzz/fuzz_spec $(FUZZ_SPEC_SRC)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o build-fuzz/fuzz_cifar $(FUZZ_CIFAR_SRC) -lz
	$(FUZZ_CC) $(FUZZ_FLAGS) -isystem /usr/include/stb -o build-fuzz/fuzz_image $(FUZZ_IMAGE_SRC) -lm
	$(FUZZ_CC) $(FUZZ_FLAGS) -o build-fuzz/fuzz_imgcache $(FUZZ_IMGCACHE_SRC) -lz
	$(FUZZ_CC) $(FUZZ_FLAGS) -isystem /usr/include/stb -o build-fuzz/fuzz_imgdir \
	    $(FUZZ_IMGDIR_SRC) -lz -lm -lpthread
	$(CC) -std=c11 -Iinclude -isystem /usr/include/stb -o build-fuzz/seeds-maker fuzz/seeds.c \
	    src/checkpoint.c src/imgcache.c src/data.c src/cifar.c src/files.c src/util.c -lz -lm
	build-fuzz/seeds-maker build-fuzz/seeds
	cd build-fuzz && ./fuzz_idx -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    corpus-idx seeds/idx ../tests/fuzz-regressions/idx
	cd build-fuzz && ./fuzz_checkpoint -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    corpus-ckpt seeds/ckpt ../tests/fuzz-regressions/ckpt
	cd build-fuzz && ./fuzz_spec -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -dict=../fuzz/spec.dict corpus-spec seeds/spec
	cd build-fuzz && ./fuzz_cifar -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    corpus-cifar seeds/cifar ../tests/fuzz-regressions/cifar
	cd build-fuzz && ./fuzz_image -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -rss_limit_mb=4096 corpus-image seeds/image ../tests/fuzz-regressions/image
	cd build-fuzz && ./fuzz_imgcache -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    corpus-imgcache seeds/imgcache ../tests/fuzz-regressions/imgcache
	cd build-fuzz && ./fuzz_imgdir -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    corpus-imgdir seeds/imgdir ../tests/fuzz-regressions/imgdir

clean:
	rm -rf build build-asan build-fuzz
