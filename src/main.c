/* main.c: subcommand dispatch and flag parsing. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/bench.h"
#include "clnet/clrt.h"
#include "clnet/hist.h"
#include "clnet/net.h"
#include "clnet/stop.h"
#include "clnet/study.h"
#include "clnet/train.h"
#include "clnet/tune.h"
#include "clnet/tuned.h"
#include "clnet/util.h"

#define CLNET_VERSION "0.1.0"
#define DEFAULT_DATA CLNET_DEFAULT_DATA

static void usage(FILE *out)
{
    fprintf(out,
            "usage: clnet COMMAND [FLAGS]\n"
            "\n"
            "commands:\n"
            "  train      train the ConvNet on an MNIST-layout data set (clnet train --help)\n"
            "  study init train the same network with several initialisations and compare them\n"
            "             (clnet study init --help)\n"
            "  study optim  train the same network with several optimizers and compare them\n"
            "             (clnet study optim --help)\n"
            "  bench      time every kernel of a training step against the device's limits\n"
            "             (clnet bench --help)\n"
            "  eval       test cost and accuracy of a checkpoint (clnet eval --help)\n"
            "  tune       tune CLBlast's GEMM for the device and keep the result (clnet tune --help)\n"
            "  devices    list every OpenCL platform and device\n"
            "  help       show this text\n"
            "  version    print the version\n"
            "\n"
            "Device choice: --device INDEX|NAME or $CLNET_DEVICE; default the first GPU, else the\n"
            "first device. Convolutions run on clnet's own GEMM on CPU devices and on CLBlast's\n"
            "elsewhere; $CLNET_CONV=tiled|clblast chooses (clnet bench times both), and\n"
            "$CLNET_GEMM_VW=4|8|16 sets clnet's GEMM vector width [the device's preferred].\n");
}

#define ARCH_FLAG \
    "  --arch SPEC       the network: a preset or comma-separated layers [ltfn]\n" \
    "                    presets: ltfn = conv64,conv64,pool,conv128,conv128,pool,fc10\n" \
    "                             mlp  = fc500,fc500,fc10\n" \
    "                             vgg  = pad32,conv64,conv64,pool,conv128,conv128,pool,\n" \
    "                                    conv256 x3,pool,conv512 x3,pool,fc4096,fc10\n" \
    "                    layers:  convK[:AxA][:sN][:valid]  K filters of AxA [3x3], stride N\n" \
    "                                   [1], + bias + ReLU; same padding (odd A) unless :valid\n" \
    "                             pool, avgpool [:AxA][:sN]  max or mean over AxA [2x2],\n" \
    "                                   stride N [A]\n" \
    "                             fcN   fully connected (+ ReLU unless last; the last is fc10)\n" \
    "                             padN  zero-pad each image to NxN (centred)\n"

#define OUTPUT_FLAGS \
    "\n" \
    "output (a folder with histogram images, metrics.csv and index.html to open in a browser):\n" \
    "  --out DIR         write there (created; must be empty if it exists) [runs/<date-time>]\n" \
    "  --no-output       write no files\n" \
    "  --hist-every N    capture each conv and hidden fc layer's pre-activation output (before\n" \
    "                    the ReLU), the logits and the predictions every N steps and at the\n" \
    "                    first and last step; 0: never [100]\n" \
    "  --hist-range R    own: each tensor on its own x range; shared: all hidden layers on one\n" \
    "                    range, so growth or shrinkage across layers shows at a glance [own]\n" \
    "  --hist-bins N     bins per histogram, 2..1024 [64]\n" \
    "  --hist-log        log counts on the y axis\n" \
    "  --hist-grads      also capture each weight tensor's gradient\n" \
    "  --check-finite    after every step check every tensor for NaN/Inf; stop at the first\n" \
    "                    and name it\n" \
    "  --test-images N   evaluate on the first N test images [all]\n"

static void train_usage(FILE *out)
{
    fprintf(out,
            "usage: clnet train [FLAGS]\n"
            "\n"
            "Trains a network (--arch; by default the lesson's ConvNet) with softmax cross-entropy on\n"
            "the OpenCL device, then reports the cost and accuracy over the whole test set.\n"
            "\n"
            "flags (default in brackets):\n"
            ARCH_FLAG
            "  --data DIR        folder with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],\n"
            "                    t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]\n"
            "                    [" DEFAULT_DATA "]\n"
            "  --steps N         training steps (batches) [one epoch]\n"
            "  --epochs N        passes over the training set (instead of --steps)\n"
            "  --batch N         images per step [100]\n"
            "  --lr X            learning rate [0.01]\n"
            "  --optimizer O     sgd (plain), momentum (TensorFlow's), adam (TensorFlow's) [sgd]\n"
            "  --momentum X      for momentum, in [0, 1) [0.9]\n"
            "  --beta1 X, --beta2 X, --eps X   for adam [0.9, 0.999, 1e-8]\n"
            "  --weight-decay X  L2 factor on the weights (not the biases), 0..1 [0]\n"
            "  --lr-schedule S   constant, step (x --lr-decay every --lr-decay-every steps,\n"
            "                    default every epoch) or cosine (to 0 at the last step) [constant]\n"
            "  --lr-decay X      factor of the step schedule, in (0, 1] [0.1]\n"
            "  --lr-decay-every N   steps between decays of the step schedule [one epoch]\n"
            "  --init KIND       he (He truncated normal convs, Xavier uniform fc), xavier, normal\n"
            "                    (N(0,1)), scaled (N(0,1) x --init-scale) [he]\n"
            "  --init-scale X    factor for --init scaled [0.01]\n"
            "  --seed N          seed for the weights and the batch order [1]\n"
            "  --no-shuffle      take batches in file order (as the original did) [shuffle each epoch]\n"
            "  --log-every N     print a log line every N steps (and at the first and last) [100]\n"
            "  --device D        device index or part of its name (see clnet devices) [$CLNET_DEVICE,\n"
            "                    else the first GPU, else the first device]\n"
            "  --kernels DIR     read kernels/*.cl from DIR instead of the embedded copies\n"
            OUTPUT_FLAGS
            "\n"
            "checkpoints:\n"
            "  --save FILE       write the weights, step and batch order there every --save-every\n"
            "                    steps, at the end, and on SIGINT/SIGTERM/SIGHUP (atomically: a\n"
            "                    crash leaves the previous checkpoint or the new one); FILE must be\n"
            "                    new, empty or a clnet checkpoint, outside --out; FILE.lock keeps\n"
            "                    a second run off it\n"
            "  --save-every N    [500]\n"
            "  --resume FILE     continue a checkpoint exactly (same network, data, --batch,\n"
            "                    --seed and shuffling) up to --steps/--epochs in all\n"
            "  --help            show this text\n"
            "\n"
            "SIGINT/SIGTERM/SIGHUP finish the current step (or batch of the test pass), save (with\n"
            "--save), say what the checkpoint holds and exit 130/143/129; a second one ends at once.\n"
            "Exit status: 0 done, 1 bad input, device failure or an output file that could not be\n"
            "written (the results are still printed), 2 usage error, 3 the cost or (with\n"
            "--check-finite) any tensor became non-finite: training stopped, the first non-finite\n"
            "tensor is named and that step's histograms are written; 128 + the signal.\n");
}

static const char *need_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        die_status(EXIT_USAGE, "%s needs a value (see clnet %s --help)", argv[*i], argv[1]);
    return argv[++*i];
}

static long parse_long(const char *flag, const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || (errno && errno != ERANGE))
        die_status(EXIT_USAGE, "%s '%s': not an integer", flag, s);
    if (errno == ERANGE || v < min || v > max)
        die_status(EXIT_USAGE, "%s %s: must be between %ld and %ld", flag, s, min, max);
    return v;
}

static double parse_number(const char *flag, const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end)
        die_status(EXIT_USAGE, "%s '%s': not a number", flag, s);
    if (errno == ERANGE)
        die_status(EXIT_USAGE, "%s %s: out of range (%s for a number)", flag, s,
                   fabs(v) < 1 ? "too close to 0" : "too large");
    return v;
}

/* The device computes in 32-bit floats: a value that passes as a double but not as the float it
 * becomes (0.99999999999 is 1.0, 1e-50 is 0) is refused. */
static void check_float(const char *flag, const char *s, double v, double hi, int hi_in)
{
    float f = (float)v;
    if (v > 0 && f < FLT_MIN)
        die_status(EXIT_USAGE, "%s %s: too small for the 32-bit floats the device computes in "
                   "(the smallest is %g)", flag, s, FLT_MIN);
    if (!hi_in && f >= hi)
        die_status(EXIT_USAGE, "%s %s: must be below %g, and as the 32-bit float the device "
                   "computes with it is %.9g", flag, s, hi, f);
}

static double parse_positive(const char *flag, const char *s, double max)
{
    double v = parse_number(flag, s);
    if (!isfinite(v) || v <= 0 || v > max)
        die_status(EXIT_USAGE, "%s %s: must be a number above 0 and at most %g", flag, s, max);
    check_float(flag, s, v, max, 1);
    return v;
}

/* A number in [lo, hi) (or [lo, hi] when hi_in), NaN and infinities refused. */
static double parse_range(const char *flag, const char *s, double lo, double hi, int hi_in)
{
    double v = parse_number(flag, s);
    if (!isfinite(v) || v < lo || v > hi || (!hi_in && v == hi))
        die_status(EXIT_USAGE, "%s %s: must be at least %g and %s %g", flag, s, lo,
                   hi_in ? "at most" : "below", hi);
    check_float(flag, s, v, hi, hi_in);
    return v;
}

/* A path flag's value: a name (kind: "folder" or "file") of at most CLNET_PATH_MAX characters. */
static const char *parse_path(const char *flag, const char *s, const char *kind)
{
    if (!*s)
        die_status(EXIT_USAGE, "%s: empty %s name", flag, kind);
    if (strlen(s) > CLNET_PATH_MAX)
        die_status(EXIT_USAGE, "%s: a %s name of %zu characters; at most %d", flag, kind,
                   strlen(s), CLNET_PATH_MAX);
    return s;
}

/* --optimizer and its settings, and the learning-rate schedule. Returns 0 if not one of them. */
static int parse_optim_flag(int argc, char **argv, int *i, train_opts *o)
{
    const char *a = argv[*i];
    if (!strcmp(a, "--optimizer")) {
        const char *v = need_value(argc, argv, i);
        if (optim_parse(v, &o->optim.kind))
            die_status(EXIT_USAGE, "--optimizer '%s': expected sgd, momentum or adam", v);
    } else if (!strcmp(a, "--momentum")) {
        o->optim.momentum = (float)parse_range(a, need_value(argc, argv, i), 0, 1, 0);
    } else if (!strcmp(a, "--beta1")) {
        o->optim.beta1 = (float)parse_range(a, need_value(argc, argv, i), 0, 1, 0);
    } else if (!strcmp(a, "--beta2")) {
        o->optim.beta2 = (float)parse_range(a, need_value(argc, argv, i), 0, 1, 0);
    } else if (!strcmp(a, "--eps")) {
        o->optim.eps = (float)parse_positive(a, need_value(argc, argv, i), 1);
    } else if (!strcmp(a, "--weight-decay")) {
        o->optim.weight_decay = (float)parse_range(a, need_value(argc, argv, i), 0, 1, 1);
    } else if (!strcmp(a, "--lr-schedule")) {
        const char *v = need_value(argc, argv, i);
        static const char *names[] = {"constant", "step", "cosine"};
        int k = 0;
        while (k < 3 && strcmp(v, names[k]))
            k++;
        if (k == 3)
            die_status(EXIT_USAGE, "--lr-schedule '%s': expected constant, step or cosine", v);
        o->lr_schedule = k;
    } else if (!strcmp(a, "--lr-decay")) {
        o->lr_decay = parse_positive(a, need_value(argc, argv, i), 1);
    } else if (!strcmp(a, "--lr-decay-every")) {
        o->lr_decay_every = parse_long(a, need_value(argc, argv, i), 1, 1000000000L);
    } else {
        return 0;
    }
    return 1;
}

static uint64_t parse_seed(const char *s)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s)) /* strtoull would skip blanks and take " -1" as 2^64 - 1 */
        die_status(EXIT_USAGE, "--seed '%s': must be an integer from 0 to %llu", s,
                   (unsigned long long)UINT64_MAX);
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno)
        die_status(EXIT_USAGE, "--seed '%s': must be an integer from 0 to %llu", s,
                   (unsigned long long)UINT64_MAX);
    return (uint64_t)v;
}

/* The command line as one string, for the report. */
static char *command_line(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = xmalloc(len);
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        strcat(s, i ? " " : "");
        strcat(s, i ? argv[i] : "clnet");
    }
    return s;
}

/* The output and histogram flags, shared by train and study. Returns 0 if argv[*i] is not one. */
static int parse_output_flag(int argc, char **argv, int *i, train_opts *o)
{
    const char *a = argv[*i];
    if (!strcmp(a, "--out")) {
        o->out_dir = parse_path(a, need_value(argc, argv, i), "folder");
    } else if (!strcmp(a, "--no-output")) {
        o->no_output = 1;
    } else if (!strcmp(a, "--hist-every")) {
        o->hist_every = parse_long(a, need_value(argc, argv, i), 0, 1000000000L);
    } else if (!strcmp(a, "--hist-bins")) {
        o->hist_bins = (int)parse_long(a, need_value(argc, argv, i), 2, HIST_MAX_BINS);
    } else if (!strcmp(a, "--hist-range")) {
        const char *v = need_value(argc, argv, i);
        if (strcmp(v, "own") && strcmp(v, "shared"))
            die_status(EXIT_USAGE, "--hist-range '%s': expected own or shared", v);
        o->hist_shared = !strcmp(v, "shared");
    } else if (!strcmp(a, "--hist-log")) {
        o->hist_log = 1;
    } else if (!strcmp(a, "--hist-grads")) {
        o->hist_grads = 1;
    } else if (!strcmp(a, "--check-finite")) {
        o->check_finite = 1;
    } else if (!strcmp(a, "--test-images")) {
        o->test_images = parse_long(a, need_value(argc, argv, i), 1, 1000000000L);
    } else {
        return 0;
    }
    return 1;
}

static int cmd_train(int argc, char **argv)
{
    train_opts o = train_defaults();
    o.command = command_line(argc, argv);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            train_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--arch")) {
            o.spec = need_value(argc, argv, &i);
        } else if (!strcmp(a, "--data")) {
            o.data_dir = parse_path(a, need_value(argc, argv, &i), "folder");
        } else if (!strcmp(a, "--steps")) {
            o.steps = parse_long(a, need_value(argc, argv, &i), 1, 1000000000L);
        } else if (!strcmp(a, "--epochs")) {
            o.epochs = parse_long(a, need_value(argc, argv, &i), 1, 1000000L);
        } else if (!strcmp(a, "--batch")) {
            o.batch = (int)parse_long(a, need_value(argc, argv, &i), 1, 65536);
        } else if (!strcmp(a, "--lr")) {
            o.lr = parse_positive(a, need_value(argc, argv, &i), 1000);
        } else if (!strcmp(a, "--init")) {
            const char *v = need_value(argc, argv, &i);
            if (init_parse(v, &o.init))
                die_status(EXIT_USAGE, "--init '%s': expected he, xavier, normal or scaled", v);
        } else if (!strcmp(a, "--init-scale")) {
            o.init_scale = parse_positive(a, need_value(argc, argv, &i), 1e6);
        } else if (!strcmp(a, "--seed")) {
            o.seed = parse_seed(need_value(argc, argv, &i));
        } else if (!strcmp(a, "--no-shuffle")) {
            o.shuffle = 0;
        } else if (!strcmp(a, "--log-every")) {
            o.log_every = parse_long(a, need_value(argc, argv, &i), 1, 1000000000L);
        } else if (!strcmp(a, "--device")) {
            o.device = need_value(argc, argv, &i);
        } else if (!strcmp(a, "--kernels")) {
            o.kernel_dir = parse_path(a, need_value(argc, argv, &i), "folder");
        } else if (!strcmp(a, "--save")) {
            o.save_path = parse_path(a, need_value(argc, argv, &i), "file");
        } else if (!strcmp(a, "--save-every")) {
            o.save_every = parse_long(a, need_value(argc, argv, &i), 1, 1000000000L);
        } else if (!strcmp(a, "--resume")) {
            o.resume_path = parse_path(a, need_value(argc, argv, &i), "file");
        } else if (!parse_output_flag(argc, argv, &i, &o) && !parse_optim_flag(argc, argv, &i, &o)) {
            die_status(EXIT_USAGE, "unknown flag '%s' (see clnet train --help)", a);
        }
    }
    if (o.steps && o.epochs)
        die_status(EXIT_USAGE, "give --steps or --epochs, not both");
    if (o.no_output && o.out_dir)
        die_status(EXIT_USAGE, "give --out or --no-output, not both");
    int st = train_run(&o, NULL);
    free((char *)o.command);
    return st;
}

static void bench_usage(FILE *out)
{
    fprintf(out,
            "usage: clnet bench [FLAGS]\n"
            "\n"
            "Measures the device's limits (FMA throughput, memory bandwidth, launch latency), then\n"
            "every op of a training step of the network at its real shapes: each is validated against\n"
            "the plain-C reference first (a wrong result is reported FAILED and not timed), warmed up,\n"
            "then timed with OpenCL profiling events. Every conv op runs on both GEMMs (clnet's tiled\n"
            "one and CLBlast's), and the forward pass also on CLBlast's convgemm and per-image im2col\n"
            "+ batched GEMM, beside what training uses (marked *). Exit status 1 if any op FAILED.\n"
            "\n"
            "flags (default in brackets):\n"
            "  --arch SPEC       the network, on 28 x 28 images (see clnet train --help) [ltfn]\n"
            "  --batch N         images per step [100]\n"
            "  --repeat N        timed repetitions per op; min and median are reported [3]\n"
            "  --filter NAME     only ops whose name contains NAME (conv2, fwd, relu, step, ...)\n"
            "  --json FILE       also write the results as JSON (- : to stdout, instead of the table)\n"
            "  --csv FILE        also write the results as CSV (- : to stdout, instead of the table)\n"
            "  --device D        device index or part of its name [$CLNET_DEVICE, else first GPU]\n"
            "  --kernels DIR     read kernels/*.cl from DIR instead of the embedded copies\n"
            "  --help            show this text\n");
}

static int cmd_bench(int argc, char **argv)
{
    bench_opts o = {CLNET_DEFAULT_SPEC, NULL, NULL, NULL, NULL, NULL, 100, 3};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            bench_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--batch")) {
            o.batch = (int)parse_long(a, need_value(argc, argv, &i), 1, 65536);
        } else if (!strcmp(a, "--repeat")) {
            o.repeat = (int)parse_long(a, need_value(argc, argv, &i), 1, 100000);
        } else if (!strcmp(a, "--arch")) {
            o.spec = need_value(argc, argv, &i);
        } else if (!strcmp(a, "--filter")) {
            o.filter = need_value(argc, argv, &i);
        } else if (!strcmp(a, "--json")) {
            o.json_path = parse_path(a, need_value(argc, argv, &i), "file");
        } else if (!strcmp(a, "--csv")) {
            o.csv_path = parse_path(a, need_value(argc, argv, &i), "file");
        } else if (!strcmp(a, "--device")) {
            o.device = need_value(argc, argv, &i);
        } else if (!strcmp(a, "--kernels")) {
            o.kernel_dir = parse_path(a, need_value(argc, argv, &i), "folder");
        } else {
            die_status(EXIT_USAGE, "unknown flag '%s' (see clnet bench --help)", a);
        }
    }
    if (o.json_path && o.csv_path && !strcmp(o.json_path, "-") && !strcmp(o.csv_path, "-"))
        die_status(EXIT_USAGE, "--json - and --csv - cannot both take stdout");
    return bench_run(&o);
}

static void tune_usage(FILE *out)
{
    fprintf(out,
            "usage: clnet tune [FLAGS]\n"
            "\n"
            "Runs CLBlast's GEMM tuner (clblast_tuner_xgemm, from Debian's clblast-utils) on the\n"
            "device and stores its best parameters in $CLNET_CACHE_DIR (else $XDG_CACHE_HOME/clnet,\n"
            "else ~/.cache/clnet), one file per device and driver. Every later clnet run on that\n"
            "device applies them to CLBlast's GEMM, which GPUs use for the convolutions (CPUs use\n"
            "clnet's own GEMM unless CLNET_CONV=clblast). Minutes on a GPU; on a CPU the tuner's\n"
            "first stage alone tries 578 kernels (about 6 min at --size 256 on 2 cores).\n"
            "\n"
            "flags (default in brackets):\n"
            "  --size N          the tuner's matrices, N x N x N, N a multiple of 64 [512]\n"
            "  --fraction F      share of the random search stages the tuner tries [its own]\n"
            "  --device D        as for clnet train\n"
            "  --path            print the file for the device and exit\n"
            "  --help            show this text\n");
}

static int cmd_tune(int argc, char **argv)
{
    tune_opts o = {NULL, 512, 0};
    int path_only = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            tune_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--size")) {
            const char *v = need_value(argc, argv, &i);
            o.size = (int)parse_long(a, v, 64, 8192);
            if (o.size % 64) /* the tuner's kernels tile the matrices by up to 64 */
                die_status(EXIT_USAGE, "%s %s: must be a multiple of 64 (64 to 8192)", a, v);
        } else if (!strcmp(a, "--fraction")) {
            o.fraction = parse_positive(a, need_value(argc, argv, &i), 1);
        } else if (!strcmp(a, "--device")) {
            o.device = need_value(argc, argv, &i);
        } else if (!strcmp(a, "--path")) {
            path_only = 1;
        } else {
            die_status(EXIT_USAGE, "unknown flag '%s' (see clnet tune --help)", a);
        }
    }
    if (!path_only)
        return tune_run(&o);
    clrt rt;
    char path[sizeof rt.tuned];
    clrt_open(&rt, o.device, NULL);
    if (tuned_path(rt.device, rt.platform_name, rt.device_name, path, sizeof path))
        die("no folder for tuned parameters: set CLNET_CACHE_DIR (or HOME)");
    printf("%s\n", path);
    clrt_close(&rt);
    return 0;
}

static void eval_usage(FILE *out)
{
    fprintf(out,
            "usage: clnet eval --model FILE [FLAGS]\n"
            "\n"
            "Loads a checkpoint written by clnet train --save and prints its test cost and accuracy.\n"
            "\n"
            "flags (default in brackets):\n"
            "  --model FILE      the checkpoint (required)\n"
            "  --data DIR        folder with t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]\n"
            "                    [" DEFAULT_DATA "]\n"
            "  --batch N         images per forward pass [the checkpoint's]\n"
            "  --test-images N   the first N test images [all]\n"
            "  --device D, --kernels DIR   as for clnet train\n"
            "  --help            show this text\n");
}

static int cmd_eval(int argc, char **argv)
{
    eval_opts o = {NULL, DEFAULT_DATA, NULL, NULL, 0, 0};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            eval_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--model")) {
            o.model = parse_path(a, need_value(argc, argv, &i), "file");
        } else if (!strcmp(a, "--data")) {
            o.data_dir = parse_path(a, need_value(argc, argv, &i), "folder");
        } else if (!strcmp(a, "--batch")) {
            o.batch = (int)parse_long(a, need_value(argc, argv, &i), 1, 65536);
        } else if (!strcmp(a, "--test-images")) {
            o.test_images = parse_long(a, need_value(argc, argv, &i), 1, 1000000000L);
        } else if (!strcmp(a, "--device")) {
            o.device = need_value(argc, argv, &i);
        } else if (!strcmp(a, "--kernels")) {
            o.kernel_dir = parse_path(a, need_value(argc, argv, &i), "folder");
        } else {
            die_status(EXIT_USAGE, "unknown flag '%s' (see clnet eval --help)", a);
        }
    }
    if (!o.model)
        die_status(EXIT_USAGE, "eval needs --model FILE (see clnet eval --help)");
    return eval_run(&o);
}

#define STUDY_COMMON_FLAGS \
    "  --steps N, --batch N   override the recipe\n" \
    "  --data DIR, --seed N, --device D, --kernels DIR   as for clnet train\n"

static void study_init_usage(FILE *out)
{
    fprintf(out,
            "usage: clnet study init [FLAGS]\n"
            "\n"
            "Trains the network once per initialisation with the same seed and data order\n"
            "(batches in file order), then prints the original's table (init, lr, steps, test cost,\n"
            "test accuracy) and each run's step-0 ranges of every hidden layer, the logits and the\n"
            "predictions, and writes a figure (rows = inits, columns = tensors, one x range per\n"
            "column), each run's own report under DIR/<init>/, and DIR/index.html.\n"
            "\n"
            "flags (default in brackets):\n"
            ARCH_FLAG
            "  --inits LIST      comma-separated from normal, scaled, he, xavier [normal,scaled,he]\n"
            "  --recipe R        seed: the original's settings (batch 100, 5000 steps, lr 1e-7 for\n"
            "                    normal and scaled, 1e-3 for he; all test images; hours on a CPU);\n"
            "                    quick: batch 32, 100 steps, lr 1e-7 / 1e-2 (he), the first 1000\n"
            "                    test images (about 10 minutes on 2 CPU cores) [quick]. Without conv\n"
            "                    layers (mlp) normal and scaled use the original's 1e-4.\n"
            "  --lr X            one learning rate for every init\n"
            "  --init-scale X    factor for scaled [0.01]\n"
            STUDY_COMMON_FLAGS
            OUTPUT_FLAGS
            "  --help            show this text\n");
}

static void study_optim_usage(FILE *out)
{
    fprintf(out,
            "usage: clnet study optim [FLAGS]\n"
            "\n"
            "Trains the network once per optimizer with the same seed, initial weights and shuffled\n"
            "data order, then prints a table (final training cost, test cost, test accuracy,\n"
            "images/s) and writes the training cost of every run over the steps in one plot\n"
            "(DIR/study-optim.png), each run's own report under DIR/<optimizer>-<lr>/, and\n"
            "DIR/index.html.\n"
            "\n"
            "flags (default in brackets):\n"
            ARCH_FLAG
            "  --optimizers LIST comma-separated NAME[:LR], NAME one of sgd, momentum, adam\n"
            "                    [sgd:0.01,momentum:0.01,adam:0.001]\n"
            "  --recipe R        epoch: one epoch at batch 100, all test images; quick: batch 32,\n"
            "                    100 steps, the first 1000 test images [quick]\n"
            "  --init KIND       as for clnet train [he]\n"
            "  --momentum X, --beta1 X, --beta2 X, --eps X, --weight-decay X,\n"
            "  --lr-schedule S, --lr-decay X, --lr-decay-every N   as for clnet train\n"
            STUDY_COMMON_FLAGS
            OUTPUT_FLAGS
            "  --help            show this text\n");
}

/* A list with an empty item ("a,,b", a comma at an end) is refused, as --arch's empty options. */
static void check_list(const char *flag, const char *v)
{
    size_t n = strlen(v);
    if (strspn(v, ",") < n && (strstr(v, ",,") || v[0] == ',' || v[n - 1] == ','))
        die_status(EXIT_USAGE, "%s '%s': an empty item (two commas, or one at an end)", flag, v);
}

static void parse_inits(const char *v, study_opts *s)
{
    s->ninits = 0;
    check_list("--inits", v);
    char *buf = xstrdup(v);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (s->ninits == STUDY_MAX_RUNS)
            die_status(EXIT_USAGE, "--inits '%s': at most %d", v, STUDY_MAX_RUNS);
        if (init_parse(tok, &s->inits[s->ninits]))
            die_status(EXIT_USAGE, "--inits '%s': '%s' is not normal, scaled, he or xavier", v, tok);
        for (int i = 0; i < s->ninits; i++)
            if (s->inits[i] == s->inits[s->ninits])
                die_status(EXIT_USAGE, "--inits '%s': '%s' twice", v, tok);
        s->ninits++;
    }
    free(buf);
    if (!s->ninits)
        die_status(EXIT_USAGE, "--inits '%s': no initialisation given", v);
}

/* "sgd:0.01,adam" -> runs (without a rate: the optimizer's default). */
static void parse_optims(const char *v, study_opts *s)
{
    s->noptims = 0;
    check_list("--optimizers", v);
    char *buf = xstrdup(v);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (s->noptims == STUDY_MAX_RUNS)
            die_status(EXIT_USAGE, "--optimizers '%s': at most %d", v, STUDY_MAX_RUNS);
        study_optim *so = &s->optims[s->noptims];
        char *colon = strchr(tok, ':');
        if (colon)
            *colon = '\0';
        if (optim_parse(tok, &so->kind))
            die_status(EXIT_USAGE, "--optimizers '%s': '%s' is not sgd, momentum or adam", v, tok);
        so->lr = colon ? parse_positive("--optimizers: learning rate", colon + 1, 1000)
                       : study_default_lr(so->kind);
        for (int i = 0; i < s->noptims; i++)
            if (s->optims[i].kind == so->kind && s->optims[i].lr == so->lr)
                die_status(EXIT_USAGE, "--optimizers '%s': %s at the same rate twice", v, tok);
        s->noptims++;
    }
    free(buf);
    if (!s->noptims)
        die_status(EXIT_USAGE, "--optimizers '%s': no optimizer given", v);
}

/* Flags every study takes. Returns 0 if a is not one of them. */
static int parse_study_flag(int argc, char **argv, int *i, study_opts *s)
{
    const char *a = argv[*i];
    if (!strcmp(a, "--arch"))
        s->base.spec = need_value(argc, argv, i);
    else if (!strcmp(a, "--recipe")) {
        const char *v = need_value(argc, argv, i), *full = s->ninits ? "seed" : "epoch";
        if (strcmp(v, full) && strcmp(v, "quick"))
            die_status(EXIT_USAGE, "--recipe '%s': expected quick or %s", v, full);
        s->full_recipe = !strcmp(v, full);
    } else if (!strcmp(a, "--steps"))
        s->steps = parse_long(a, need_value(argc, argv, i), 1, 1000000000L);
    else if (!strcmp(a, "--batch"))
        s->batch = (int)parse_long(a, need_value(argc, argv, i), 1, 65536);
    else if (!strcmp(a, "--data"))
        s->base.data_dir = parse_path(a, need_value(argc, argv, i), "folder");
    else if (!strcmp(a, "--seed"))
        s->base.seed = parse_seed(need_value(argc, argv, i));
    else if (!strcmp(a, "--device"))
        s->base.device = need_value(argc, argv, i);
    else if (!strcmp(a, "--kernels"))
        s->base.kernel_dir = parse_path(a, need_value(argc, argv, i), "folder");
    else
        return parse_output_flag(argc, argv, i, &s->base);
    return 1;
}

/* The flags only one kind of study takes. Returns 0 if a is not one of them. */
static int parse_study_kind_flag(int argc, char **argv, int *i, study_opts *s, int optim)
{
    const char *a = argv[*i];
    if (!optim && !strcmp(a, "--inits"))
        parse_inits(need_value(argc, argv, i), s);
    else if (!optim && !strcmp(a, "--lr"))
        s->lr = parse_positive(a, need_value(argc, argv, i), 1000);
    else if (!optim && !strcmp(a, "--init-scale"))
        s->base.init_scale = parse_positive(a, need_value(argc, argv, i), 1e6);
    else if (optim && !strcmp(a, "--optimizers"))
        parse_optims(need_value(argc, argv, i), s);
    else if (optim && !strcmp(a, "--init")) {
        const char *v = need_value(argc, argv, i);
        if (init_parse(v, &s->base.init))
            die_status(EXIT_USAGE, "--init '%s': expected he, xavier, normal or scaled", v);
    } else if (optim && strcmp(a, "--optimizer"))
        return parse_optim_flag(argc, argv, i, &s->base);
    else
        return 0;
    return 1;
}

static int cmd_study(int argc, char **argv)
{
    const char *kind = argc > 2 ? argv[2] : "";
    int optim = !strcmp(kind, "optim");
    if (!optim && strcmp(kind, "init")) {
        if (!strcmp(kind, "--help") || !strcmp(kind, "-h")) {
            usage(stdout);
            return 0;
        }
        die_status(EXIT_USAGE, "study needs a kind: clnet study init or clnet study optim (see "
                   "clnet study init --help)");
    }
    study_opts s;
    memset(&s, 0, sizeof s);
    s.base = train_defaults();
    s.base.command = command_line(argc, argv);
    s.base.hist_every = -1; /* the recipe's, unless given */
    if (optim) {
        for (optim_kind k = OPT_SGD; k <= OPT_ADAM; k++)
            s.optims[s.noptims++] = (study_optim){k, study_default_lr(k)};
    } else {
        s.inits[0] = INIT_NORMAL, s.inits[1] = INIT_SCALED, s.inits[2] = INIT_HE, s.ninits = 3;
    }
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            (optim ? study_optim_usage : study_init_usage)(stdout);
            return 0;
        } else if (!parse_study_flag(argc, argv, &i, &s) &&
                   !parse_study_kind_flag(argc, argv, &i, &s, optim)) {
            die_status(EXIT_USAGE, "unknown flag '%s' (see clnet study %s --help)", a, kind);
        }
    }
    if (s.base.no_output && s.base.out_dir)
        die_status(EXIT_USAGE, "give --out or --no-output, not both");
    int st = optim ? study_optim_run(&s) : study_init_run(&s);
    free((char *)s.base.command);
    return st;
}

static int run_command(int argc, char **argv)
{
    const char *cmd = argv[1];
    if (!strcmp(cmd, "train"))
        return cmd_train(argc, argv);
    if (!strcmp(cmd, "bench"))
        return cmd_bench(argc, argv);
    if (!strcmp(cmd, "study"))
        return cmd_study(argc, argv);
    if (!strcmp(cmd, "eval"))
        return cmd_eval(argc, argv);
    if (!strcmp(cmd, "tune"))
        return cmd_tune(argc, argv);
    if (!strcmp(cmd, "devices")) {
        if (argc > 2)
            die_status(EXIT_USAGE, "devices takes no flags");
        clrt_list_devices(stdout);
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("clnet %s\n", CLNET_VERSION);
        return 0;
    }
    die_status(EXIT_USAGE, "unknown command '%s' (see clnet help)", cmd);
}

/* A full disk or a closed pipe behind stdout must not pass for success. */
static int finish_stdout(int status)
{
    errno = 0;
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int e = errno;
    if (fclose(stdout) != 0 && !bad)
        bad = 1, e = errno;
    if (!bad)
        return status;
    fprintf(stderr, "clnet: cannot write to standard output: %s\n",
            e ? strerror(e) : "an earlier write failed (output was lost)");
    return status ? status : EXIT_INPUT;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    stop_catch();
    int status = run_command(argc, argv);
    int sig = stop_requested();
    if (sig && status < 128) { /* arrived after the last poll: the work is done, but say it */
        fflush(stdout);
        fprintf(stderr, "clnet: %s as the command ended (its output is complete)\n",
                stop_what(sig));
        status = 128 + sig;
    }
    return finish_stdout(status);
}
