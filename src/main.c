/* main.c: the commands: one table of flags each (flags.h), with shared tables for what several
 * take (the output and histogram flags, the optimizer's settings, the device), and dispatch. */
#define _POSIX_C_SOURCE 200809L
/* a row names only the fields it uses: the rest are zero */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/bench.h"
#include "clnet/clrt.h"
#include "clnet/dist.h"
#include "clnet/export.h"
#include "clnet/flags.h"
#include "clnet/hist.h"
#include "clnet/net.h"
#include "clnet/predict.h"
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
            "  train      train a network on IDX, CIFAR or image-folder data (clnet train --help)\n"
            "  study init train the same network with several initialisations and compare them\n"
            "             (clnet study init --help)\n"
            "  study optim  train the same network with several optimizers and compare them\n"
            "             (clnet study optim --help)\n"
            "  bench      time every kernel of a training step against the device's limits\n"
            "             (clnet bench --help)\n"
            "  eval       test cost and accuracy of a checkpoint (clnet eval --help)\n"
            "  predict    the top classes of images by a checkpoint (clnet predict --help)\n"
            "  export     a checkpoint as an ONNX model (clnet export --help)\n"
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

/* ---- rows several commands share ---- */

#define ARCH_HELP                                                                                 \
    "the network: a preset or comma-separated layers [" CLNET_DEFAULT_SPEC "]\n"                 \
    "presets: ltfn = conv64,conv64,pool,conv128,conv128,pool,classifier\n"                       \
    "         mlp  = fc500,fc500,classifier\n"                                                   \
    "         vgg  = pad32,conv64,conv64,pool,conv128,conv128,pool,\n"                           \
    "                conv256 x3,pool,conv512 x3,pool,fc4096,classifier\n"                        \
    "layers:  convK[:AxA][:sN][:valid]  K filters of AxA [3x3], stride N\n"                      \
    "               [1], + bias + ReLU; same padding (odd A) unless :valid\n"                    \
    "         pool, avgpool [:AxA][:sN]  max or mean over AxA [2x2],\n"                          \
    "               stride N [A]\n"                                                              \
    "         fcN   fully connected (+ ReLU unless last)\n"                                      \
    "         classifier  fcN, N the data's classes: last, or left out (a spec\n"                \
    "               that ends without an fc layer gets it)\n"                                    \
    "         padN  zero-pad each image to NxN (centred)"
#define DATA_HELP                                                                                 \
    "the data: a folder of IDX files (train-images-idx3-ubyte[.gz],\n"                          \
    "train-labels-idx1-ubyte[.gz], t10k-... for the test set; -idx4-: with\n"                   \
    "channels), of CIFAR-10 or CIFAR-100 binaries, or of images (train/CLASS/*\n"               \
    "and test/CLASS/*: PNG, JPEG, BMP, GIF, TGA, PNM); the shape and the\n"                    \
    "classes come from the data"
#define DEVICE_SHOWN "$CLNET_DEVICE, else the first GPU, else the first device"

/* Rows whose field sits elsewhere in each command's options: T the options, m the field. */
#define ARCH_ROW(T, m) {"--arch", "SPEC", ARCH_HELP, set_string, offsetof(T, m), .shown = ""}
#define DATA_ROW(T, m) {"--data", "DIR", DATA_HELP, set_folder, offsetof(T, m)}
/* --channels and --resize, into the image_opts m of T */
#define IMAGE_ROWS(T, m)                                                                          \
    {"--channels", "N", "make the images N channels: 1 grey (colour by its luma), 3 RGB,\n"     \
     "4 RGBA", set_int, offsetof(T, m.channels), 1, 4,                                          \
     .shown = "the data's; image folders: 3 if any image has colour"},                          \
    {"--resize", "WxH", "resize every image to W x H pixels (image folders of mixed sizes\n"    \
     "need it)", set_size, offsetof(T, m.w), 1, CLNET_MAX_SIDE, .shown = "none"},            \
    {"--format", "F", "what --data holds: idx, cifar10, cifar100 or images (a train/ and\n"  \
     "test/ of class folders); auto: found from its files", set_choice,                        \
     offsetof(T, m.format), .choices = format_words}
#define DEVICE_ROW(T, m)                                                                          \
    {"--device", "D", "device index or part of its name (see clnet devices)", set_string,         \
     offsetof(T, m), .shown = DEVICE_SHOWN}
#define KERNELS_ROW(T, m)                                                                         \
    {"--kernels", "DIR", "read kernels/*.cl from DIR instead of the embedded copies", set_folder, \
     offsetof(T, m)}
#define SEED_ROW(T, m)                                                                            \
    {"--seed", "N", "seed for the weights and the batch order", set_seed, offsetof(T, m)}
#define END_ROW {NULL, NULL, NULL, NULL, 0}

static const char *const format_words[] = {"auto", "idx", "cifar10", "cifar100", "images",
                                           NULL};
static const char *const init_words[] = {"he", "xavier", "normal", "scaled", NULL};
static const char *const optim_words[] = {"sgd", "momentum", "adam", NULL};

/* The optimizer's settings (train, study optim), in train_opts. */
static const flag optim_rows[] = {
    {"--momentum", "X", "for momentum, in [0, 1)", set_below_f, offsetof(train_opts, optim.momentum),
     0, 1},
    {"--beta1", "X", "Adam's decay of the gradient's mean, in [0, 1)", set_below_f,
     offsetof(train_opts, optim.beta1), 0, 1},
    {"--beta2", "X", "Adam's decay of the gradient's square, in [0, 1)", set_below_f,
     offsetof(train_opts, optim.beta2), 0, 1},
    {"--eps", "X", "Adam's epsilon, above 0, at most 1", set_positive_f,
     offsetof(train_opts, optim.eps), 0, 1},
    {"--weight-decay", "X", "L2 factor on the weights (not the biases), 0..1", set_within_f,
     offsetof(train_opts, optim.weight_decay), 0, 1},
    {"--lr-schedule", "S", "constant, step (x --lr-decay every --lr-decay-every steps,\n"
     "default every epoch) or cosine (to 0 at the last step)", set_choice,
     offsetof(train_opts, lr_schedule), .choices = (const char *const[]){"constant", "step",
                                                                        "cosine", NULL}},
    {"--lr-decay", "X", "factor of the step schedule, in (0, 1]", set_positive,
     offsetof(train_opts, lr_decay), 0, 1},
    {"--lr-decay-every", "N", "steps between decays of the step schedule", set_long,
     offsetof(train_opts, lr_decay_every), 1, 1e9, .shown = "one epoch"},
    END_ROW,
};

/* The output folder and the histograms (train, study), in train_opts; --hist-every and
 * --test-images have defaults of their own in a study (rows of each command). */
#define OUTPUT_TITLE "output (a folder with histogram images, metrics.csv and index.html to open in a browser,\nand a TensorBoard event file):"
static const flag out_rows[] = {
    {"--out", "DIR", "write there (created; must be empty if it exists)", set_folder,
     offsetof(train_opts, out_dir), .shown = "runs/<date-time>"},
    {"--no-output", NULL, "write no files", set_on, offsetof(train_opts, no_output)},
    {"--no-tensorboard", NULL, "no TensorBoard event file in the folder", set_on,
     offsetof(train_opts, no_tensorboard)},
    END_ROW,
};
#define HIST_EVERY_HELP                                                                           \
    "capture each conv and hidden fc layer's pre-activation output (before\n"                    \
    "the ReLU), the logits and the predictions every N steps and at the\n"                       \
    "first and last step; 0: never"
static const flag hist_rows[] = {
    {"--hist-range", "R", "own: each tensor on its own x range; shared: all hidden layers on one\n"
     "range, so growth or shrinkage across layers shows at a glance", set_choice,
     offsetof(train_opts, hist_shared), .choices = (const char *const[]){"own", "shared", NULL}},
    {"--hist-bins", "N", "bins per histogram, 2..1024", set_int, offsetof(train_opts, hist_bins),
     2, HIST_MAX_BINS},
    {"--hist-log", NULL, "log counts on the y axis", set_on, offsetof(train_opts, hist_log)},
    {"--hist-grads", NULL, "also capture each weight tensor's gradient", set_on,
     offsetof(train_opts, hist_grads)},
    {"--check-finite", NULL, "after every step check every tensor for NaN/Inf; stop at the first\n"
     "and name it", set_on, offsetof(train_opts, check_finite)},
    END_ROW,
};

/* "clnet train --lr 0.1": the command line for the report (caller frees). */
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

/* ---- clnet train ---- */

static const flag train_rows[] = {
    ARCH_ROW(train_opts, spec),
    DATA_ROW(train_opts, data_dir),
    IMAGE_ROWS(train_opts, image),
    {"--steps", "N", "training steps (batches)", set_long, offsetof(train_opts, steps), 1, 1e9,
     .shown = "one epoch"},
    {"--epochs", "N", "passes over the training set (instead of --steps)", set_long,
     offsetof(train_opts, epochs), 1, 1e6, .shown = ""},
    {"--batch", "N", "images per step", set_int, offsetof(train_opts, batch), 1, 65536},
    {"--lr", "X", "learning rate", set_positive, offsetof(train_opts, lr), 0, 1000},
    {"--optimizer", "O", "sgd (plain), momentum (TensorFlow's), adam (TensorFlow's)", set_choice,
     offsetof(train_opts, optim.kind), .choices = optim_words},
    END_ROW,
};
static const flag train_prep_rows[] = {
    {"--normalize", NULL, "subtract the training set's per-channel mean from pixels / 255 and\n"
     "divide by its standard deviation (stored in the checkpoint, applied\n"
     "by eval and predict)", set_on, offsetof(train_opts, normalize), .shown = "pixels / 255"},
    {"--augment", "A", "on the device, per training image and step (seeded): flip (mirror\n"
     "half of the images left to right), crop:P (a random crop of the\n"
     "image's size from it zero-padded by P pixels, 1..64), or both:\n"
     "flip,crop:4 is the CIFAR recipe; the report shows one augmented batch",
     set_augment, offsetof(train_opts, augment.flip), 0, AUGMENT_MAX_PAD, .shown = "none"},
    END_ROW,
};
static const flag train_val_rows[] = {
    {"--val-split", "F", "hold out this share (0 < F < 1) of the training images, chosen by\n"
     "--seed, to validate on at the end of every epoch (an image folder\n"
     "without test/ then tests on them too)", set_share, offsetof(train_opts, val_split),
     0, 1, .shown = "none"},
    {"--val", "N", "hold out N training images instead", set_long,
     offsetof(train_opts, val_count), 1, 1e9, .shown = "none"},
    {"--val-every", "N", "also validate every N steps", set_long, offsetof(train_opts, val_every),
     1, 1e9, .shown = "each epoch's end"},
    END_ROW,
};
static const flag train_init_rows[] = {
    {"--init", "KIND", "he (He truncated normal convs, Xavier uniform fc), xavier, normal\n"
     "(N(0,1)), scaled (N(0,1) x --init-scale)", set_choice, offsetof(train_opts, init),
     .choices = init_words},
    {"--init-scale", "X", "factor for --init scaled", set_positive, offsetof(train_opts, init_scale),
     0, 1e6},
    SEED_ROW(train_opts, seed),
    {"--no-shuffle", NULL, "take batches in file order (as the original did)", set_off,
     offsetof(train_opts, shuffle), .shown = "shuffle each epoch"},
    {"--log-every", "N", "print a log line every N steps (and at the first and last)", set_long,
     offsetof(train_opts, log_every), 1, 1e9},
    {"--device", "D", "device index or part of its name (see clnet devices); under mpirun a\n"
     "comma list indexed by the rank's place on its host (0,1: two GPUs),\n"
     "and without one the k-th rank of a host takes its k-th GPU, else a\n"
     "share of the CPU", set_string, offsetof(train_opts, device), .shown = DEVICE_SHOWN},
    KERNELS_ROW(train_opts, kernel_dir),
    {"--mpi-timeout", "S", "under mpirun: end the job when the other ranks do not answer\n"
     "within S seconds (a rank stopped or hung); more than rank 0 takes\n"
     "to save a checkpoint or write histograms, while the others wait", set_positive,
     offsetof(train_opts, mpi_timeout), 0, 1e7},
    END_ROW,
};
static const flag train_hist_every[] = {
    {"--hist-every", "N", HIST_EVERY_HELP, set_long, offsetof(train_opts, hist_every), 0, 1e9},
    END_ROW,
};
static const flag train_test_images[] = {
    {"--test-images", "N", "evaluate on the first N test images", set_long,
     offsetof(train_opts, test_images), 1, 1e9, .shown = "all"},
    END_ROW,
};
static const flag ckpt_rows[] = {
    {"--save", "FILE", "write the weights, step and batch order there every --save-every\n"
     "steps, at the end, and on SIGINT/SIGTERM/SIGHUP (atomically: a\n"
     "crash leaves the previous checkpoint or the new one); FILE must be\n"
     "new, empty or a clnet checkpoint, outside --out; FILE.lock keeps\n"
     "a second run off it", set_file, offsetof(train_opts, save_path)},
    {"--save-every", "N", "steps between checkpoints", set_long, offsetof(train_opts, save_every),
     1, 1e9},
    {"--resume", "FILE", "continue a checkpoint exactly (same network, data, --batch,\n"
     "--seed and shuffling) up to --steps/--epochs in all", set_file,
     offsetof(train_opts, resume_path)},
    END_ROW,
};
static const flag_group train_groups[] = {
    {"flags (default in brackets):", train_rows, 0},
    {NULL, optim_rows, 0},
    {NULL, train_prep_rows, 0},
    {NULL, train_val_rows, 0},
    {NULL, train_init_rows, 0},
    {OUTPUT_TITLE, out_rows, 0},
    {NULL, train_hist_every, 0},
    {NULL, hist_rows, 0},
    {NULL, train_test_images, 0},
    {"checkpoints:", ckpt_rows, 0},
};
static const command train_cmd = {
    "train",
    "Trains a network (--arch; by default the lesson's ConvNet) with softmax cross-entropy on\n"
    "the OpenCL device, then reports the cost and accuracy over the whole test set.",
    train_groups, sizeof train_groups / sizeof *train_groups,
    "SIGINT/SIGTERM/SIGHUP finish the current step (or batch of the test pass), save (with\n"
    "--save), say what the checkpoint holds and exit 130/143/129; a second one ends at once.\n"
    "Exit status: 0 done, 1 bad input, device failure or an output file that could not be\n"
    "written (the results are still printed), 2 usage error, 3 the cost or (with\n"
    "--check-finite) any tensor became non-finite: training stopped, the first non-finite\n"
    "tensor is named and that step's histograms are written; 128 + the signal.\n",
};

static int cmd_train(int argc, char **argv)
{
    train_opts o = train_defaults(), d = o;
    if (flags_parse(&train_cmd, argc, argv, 2, &o, &d))
        return 0;
    if (o.steps && o.epochs)
        die_status(EXIT_USAGE, "give --steps or --epochs, not both");
    if (o.no_output && o.out_dir)
        die_status(EXIT_USAGE, "give --out or --no-output, not both");
    if (o.val_split > 0 && o.val_count)
        die_status(EXIT_USAGE, "give --val-split or --val, not both");
    if (o.val_every && !o.val_split && !o.val_count)
        die_status(EXIT_USAGE, "--val-every needs --val-split F or --val N");
    o.command = command_line(argc, argv);
    dist_set_timeout(o.mpi_timeout);
    int st = train_run(&o, NULL);
    free((char *)o.command);
    return st;
}

/* ---- clnet bench ---- */

static const flag bench_rows[] = {
    {"--arch", "SPEC", "the network (see clnet train --help), on --input images", set_string,
     offsetof(bench_opts, spec)},
    {"--input", "WxHxC", "the synthetic images: width, height and channels (1..4), as a\n"
     "data set would give them", set_input, offsetof(bench_opts, input), 1, CLNET_MAX_SIDE,
     .shown = "28x28x1"},
    {"--classes", "K", "the classifier's outputs, 2..65535", set_int, offsetof(bench_opts, classes),
     2, CLNET_MAX_CLASSES},
    {"--batch", "N", "images per step", set_int, offsetof(bench_opts, batch), 1, 65536},
    {"--repeat", "N", "timed repetitions per op; min and median are reported", set_int,
     offsetof(bench_opts, repeat), 1, 100000},
    {"--filter", "NAME", "only ops whose name contains NAME (conv2, fwd, relu, step, ...)",
     set_string, offsetof(bench_opts, filter)},
    {"--json", "FILE", "also write the results as JSON (- : to stdout, instead of the table)",
     set_file, offsetof(bench_opts, json_path)},
    {"--csv", "FILE", "also write the results as CSV (- : to stdout, instead of the table)",
     set_file, offsetof(bench_opts, csv_path)},
    DEVICE_ROW(bench_opts, device),
    KERNELS_ROW(bench_opts, kernel_dir),
    END_ROW,
};
static const flag_group bench_groups[] = {{"flags (default in brackets):", bench_rows, 0}};
static const command bench_cmd = {
    "bench",
    "Measures the device's limits (FMA throughput, memory bandwidth, launch latency), then\n"
    "every op of a training step of the network at its real shapes: each is validated against\n"
    "the plain-C reference first (a wrong result is reported FAILED and not timed), warmed up,\n"
    "then timed with OpenCL profiling events. Every conv op runs on both GEMMs (clnet's tiled\n"
    "one and CLBlast's), and the forward pass also on CLBlast's convgemm and per-image im2col\n"
    "+ batched GEMM, beside what training uses (marked *). Exit status 1 if any op FAILED.",
    bench_groups, 1, NULL,
};

static int cmd_bench(int argc, char **argv)
{
    bench_opts o = {CLNET_DEFAULT_SPEC, NULL, NULL, NULL, NULL, NULL, 100, 3, {28, 28, 1}, 10},
               d = o;
    if (flags_parse(&bench_cmd, argc, argv, 2, &o, &d))
        return 0;
    if (o.json_path && o.csv_path && !strcmp(o.json_path, "-") && !strcmp(o.csv_path, "-"))
        die_status(EXIT_USAGE, "--json - and --csv - cannot both take stdout");
    return bench_run(&o);
}

/* ---- clnet tune ---- */

static const flag tune_rows[] = {
    {"--size", "N", "the tuner's matrices, N x N x N, N a multiple of 64", set_int,
     offsetof(tune_opts, size), 64, 8192},
    {"--fraction", "F", "share of the random search stages the tuner tries", set_positive,
     offsetof(tune_opts, fraction), 0, 1, .shown = "its own"},
    DEVICE_ROW(tune_opts, device),
    {"--path", NULL, "print the file for the device and exit", set_on,
     offsetof(tune_opts, path_only)},
    END_ROW,
};
static const flag_group tune_groups[] = {{"flags (default in brackets):", tune_rows, 0}};
static const command tune_cmd = {
    "tune",
    "Runs CLBlast's GEMM tuner (clblast_tuner_xgemm, from Debian's clblast-utils) on the\n"
    "device and stores its best parameters in $CLNET_CACHE_DIR (else $XDG_CACHE_HOME/clnet,\n"
    "else ~/.cache/clnet), one file per device and driver. Every later clnet run on that\n"
    "device applies them to CLBlast's GEMM, which GPUs use for the convolutions (CPUs use\n"
    "clnet's own GEMM unless CLNET_CONV=clblast). Minutes on a GPU; on a CPU the tuner's\n"
    "first stage alone tries 578 kernels (about 6 min at --size 256 on 2 cores).",
    tune_groups, 1, NULL,
};

static int cmd_tune(int argc, char **argv)
{
    tune_opts o = {NULL, 512, 0, 0}, d = o;
    if (flags_parse(&tune_cmd, argc, argv, 2, &o, &d))
        return 0;
    if (o.size % 64) /* the tuner's kernels tile the matrices by up to 64 */
        die_status(EXIT_USAGE, "--size %d: must be a multiple of 64 (64 to 8192)", o.size);
    if (!o.path_only)
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

/* ---- clnet eval ---- */

static const flag eval_rows[] = {
    {"--model", "FILE", "the checkpoint (required)", set_file, offsetof(eval_opts, model)},
    {"--data", "DIR", "the test set: t10k-... IDX files, CIFAR's test batch or test/CLASS/*\n"
     "images (as clnet train --data)", set_folder, offsetof(eval_opts, data_dir)},
    IMAGE_ROWS(eval_opts, image),
    {"--batch", "N", "images per forward pass", set_int, offsetof(eval_opts, batch), 1, 65536,
     .shown = "the checkpoint's"},
    {"--test-images", "N", "the first N test images", set_long, offsetof(eval_opts, test_images),
     1, 1e9, .shown = "all"},
    DEVICE_ROW(eval_opts, device),
    KERNELS_ROW(eval_opts, kernel_dir),
    END_ROW,
};
static const flag_group eval_groups[] = {{"flags (default in brackets):", eval_rows, 0}};
static const command eval_cmd = {
    "eval", "Loads a checkpoint written by clnet train --save and prints its test cost and "
    "accuracy.", eval_groups, 1, NULL, "--model FILE [FLAGS]",
};

/* ---- clnet predict ---- */

static const flag predict_rows[] = {
    {"--model", "FILE", "the checkpoint (required)", set_file, offsetof(predict_opts, model)},
    {"--top", "K", "classes shown per image, most probable first (at most the model's)",
     set_int, offsetof(predict_opts, top), 1, 64},
    {"--json", NULL, "one JSON document on stdout: {\"model\", \"classes\", \"images\":\n"
     "[{\"file\", \"top\": [{\"class\", \"index\", \"probability\"}...]}...]}", set_on,
     offsetof(predict_opts, json)},
    {"--resize", "WxH", "resize every image to the model's size (which WxH must be); without\n"
     "it an image of another size is refused", set_size, offsetof(predict_opts, resize), 1,
     CLNET_MAX_SIDE, .shown = "none"},
    {"--batch", "N", "images per forward pass", set_int, offsetof(predict_opts, batch), 1, 65536,
     .shown = "the checkpoint's"},
    DEVICE_ROW(predict_opts, device),
    KERNELS_ROW(predict_opts, kernel_dir),
    END_ROW,
};
static const flag_group predict_groups[] = {{"flags (default in brackets):", predict_rows, 0}};
static const command predict_cmd = {
    "predict",
    "Classifies images with a checkpoint of clnet train --save: for each IMAGE (PNG, JPEG, BMP,\n"
    "GIF, TGA, PNM), and each image below each DIR (names starting with '.' left out; a file\n"
    "that is not an image is refused, naming it), the most probable classes with their\n"
    "probabilities. The images get the checkpoint's channels and preprocessing (pixels / 255,\n"
    "--normalize's means and sds), as clnet eval gives them.",
    predict_groups, 1, NULL, "--model FILE [FLAGS] IMAGE|DIR...",
};

static int cmd_predict(int argc, char **argv)
{
    predict_opts o = {.top = PREDICT_DEFAULT_TOP}, d = o;
    char **args = xmalloc((size_t)argc * sizeof *args);
    if (flags_parse_args(&predict_cmd, argc, argv, 2, &o, &d, args, &o.npaths)) {
        free(args);
        return 0;
    }
    if (!o.model)
        die_status(EXIT_USAGE, "predict needs --model FILE (see clnet predict --help)");
    if (!o.npaths)
        die_status(EXIT_USAGE, "predict needs images or folders of images after the flags (see "
                   "clnet predict --help)");
    o.paths = args;
    int st = predict_run(&o);
    free(args);
    return st;
}

/* ---- clnet export ---- */

static const flag export_rows[] = {
    {"--model", "FILE", "the checkpoint (required)", set_file, offsetof(export_opts, model)},
    {"--onnx", "FILE", "where the ONNX model goes (required; written atomically)", set_file,
     offsetof(export_opts, onnx)},
    {"--force", NULL, "replace an existing --onnx file", set_on, offsetof(export_opts, force)},
    END_ROW,
};
static const flag_group export_groups[] = {{"flags (default in brackets):", export_rows, 0}};
static const command export_cmd = {
    "export",
    "Writes the network of a checkpoint of clnet train --save as an ONNX model (opset 13) for\n"
    "ONNX Runtime and other tools: input \"image\" (N, C, H, W) floats, the pixels / 255 as\n"
    "clnet reads them (the checkpoint's --normalize is the model's first nodes); outputs\n"
    "\"logits\" (N, classes) and \"probabilities\" (their softmax); the class names, clnet's\n"
    "version and the network spec in the model's metadata.",
    export_groups, 1, NULL, "--model FILE --onnx OUT.onnx [--force]",
};

static int cmd_export(int argc, char **argv)
{
    export_opts o = {.version = CLNET_VERSION}, d = o;
    if (flags_parse(&export_cmd, argc, argv, 2, &o, &d))
        return 0;
    if (!o.model)
        die_status(EXIT_USAGE, "export needs --model FILE (see clnet export --help)");
    if (!o.onnx)
        die_status(EXIT_USAGE, "export needs --onnx FILE (see clnet export --help)");
    return export_run(&o);
}

static int cmd_eval(int argc, char **argv)
{
    eval_opts o = {.data_dir = DEFAULT_DATA}, d = o;
    if (flags_parse(&eval_cmd, argc, argv, 2, &o, &d))
        return 0;
    if (!o.model)
        die_status(EXIT_USAGE, "eval needs --model FILE (see clnet eval --help)");
    return eval_run(&o);
}

/* ---- clnet study init / optim ---- */

/* A list with an empty item ("a,,b", a comma at an end) is refused, as --arch's empty options. */
static void check_list(const char *name, const char *v)
{
    size_t n = strlen(v);
    if (strspn(v, ",") < n && (strstr(v, ",,") || v[0] == ',' || v[n - 1] == ','))
        die_status(EXIT_USAGE, "%s '%s': an empty item (two commas, or one at an end)", name, v);
}

/* --inits LIST into the study (to: the whole study_opts). */
static void set_inits(const flag *f, const char *v, void *to)
{
    study_opts *s = to;
    (void)f;
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

/* --optimizers "sgd:0.01,adam" into the study's runs (without a rate: the optimizer's default). */
static void set_optims(const flag *f, const char *v, void *to)
{
    study_opts *s = to;
    (void)f;
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
        so->lr = colon ? flag_positive("--optimizers: learning rate", colon + 1, 1000)
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

/* What every study takes after its own rows, in study_opts. */
static const flag study_rows[] = {
    {"--steps", "N", "training steps of every run", set_long,
     offsetof(study_opts, steps), 1, 1e9, .shown = "the recipe's"},
    {"--batch", "N", "images per step of every run", set_int,
     offsetof(study_opts, batch), 1, 65536, .shown = "the recipe's"},
    DATA_ROW(study_opts, base.data_dir),
    IMAGE_ROWS(study_opts, base.image),
    SEED_ROW(study_opts, base.seed),
    DEVICE_ROW(study_opts, base.device),
    KERNELS_ROW(study_opts, base.kernel_dir),
    END_ROW,
};
static const flag study_hist_every[] = {
    {"--hist-every", "N", HIST_EVERY_HELP, set_long, offsetof(study_opts, base.hist_every), 0,
     1e9, .shown = "the recipe's"},
    END_ROW,
};
static const flag study_test_images[] = {
    {"--test-images", "N", "evaluate on the first N test images", set_long,
     offsetof(study_opts, base.test_images), 1, 1e9, .shown = "the recipe's"},
    END_ROW,
};
#define STUDY_OUTPUT_GROUPS                                                                       \
    {OUTPUT_TITLE, out_rows, offsetof(study_opts, base)}, {NULL, study_hist_every, 0},            \
        {NULL, hist_rows, offsetof(study_opts, base)}, {NULL, study_test_images, 0}

static const flag init_rows[] = {
    ARCH_ROW(study_opts, base.spec),
    {"--inits", "LIST", "comma-separated from normal, scaled, he, xavier", set_inits, 0,
     .shown = "normal,scaled,he"},
    {"--recipe", "R", "seed: the original's settings (batch 100, 5000 steps, lr 1e-7 for\n"
     "normal and scaled, 1e-3 for he; all test images: 15,000 steps, about\n"
     "40 minutes at 700 images/s); quick: batch 32, 100 steps, lr 1e-7 / 1e-2\n"
     "(he), the first 1000 test images (about 20 s on 2 CPU cores). Without\n"
     "conv layers (mlp) normal and scaled use the original's 1e-4.", set_choice,
     offsetof(study_opts, full_recipe), .choices = (const char *const[]){"quick", "seed", NULL}},
    {"--lr", "X", "one learning rate for every init", set_positive, offsetof(study_opts, lr), 0,
     1000, .shown = "the recipe's"},
    {"--init-scale", "X", "factor for scaled", set_positive, offsetof(study_opts, base.init_scale),
     0, 1e6},
    END_ROW,
};
static const flag_group init_groups[] = {
    {"flags (default in brackets):", init_rows, 0}, {NULL, study_rows, 0}, STUDY_OUTPUT_GROUPS,
};
static const command study_init_cmd = {
    "study init",
    "Trains the network once per initialisation with the same seed and data order\n"
    "(batches in file order), then prints the original's table (init, lr, steps, test cost,\n"
    "test accuracy) and each run's step-0 ranges of every hidden layer, the logits and the\n"
    "predictions, and writes a figure (rows = inits, columns = tensors, one x range per\n"
    "column), each run's own report under DIR/<init>/, and DIR/index.html.",
    init_groups, sizeof init_groups / sizeof *init_groups, NULL,
};

static const flag optim_study_rows[] = {
    ARCH_ROW(study_opts, base.spec),
    {"--optimizers", "LIST", "comma-separated NAME[:LR], NAME one of sgd, momentum, adam",
     set_optims, 0, .shown = "sgd:0.01,momentum:0.01,adam:0.001"},
    {"--recipe", "R", "epoch: one epoch at batch 100, all test images; quick: batch 32,\n"
     "100 steps, the first 1000 test images", set_choice, offsetof(study_opts, full_recipe),
     .choices = (const char *const[]){"quick", "epoch", NULL}},
    {"--init", "KIND", "as for clnet train", set_choice, offsetof(study_opts, base.init),
     .choices = init_words},
    END_ROW,
};
static const flag_group optim_groups[] = {
    {"flags (default in brackets):", optim_study_rows, 0},
    {NULL, optim_rows, offsetof(study_opts, base)},
    {NULL, study_rows, 0},
    STUDY_OUTPUT_GROUPS,
};
static const command study_optim_cmd = {
    "study optim",
    "Trains the network once per optimizer with the same seed, initial weights and shuffled\n"
    "data order, then prints a table (final training cost, test cost, test accuracy,\n"
    "images/s) and writes the training cost of every run over the steps in one plot\n"
    "(DIR/study-optim.png), each run's own report under DIR/<optimizer>-<lr>/, and\n"
    "DIR/index.html.",
    optim_groups, sizeof optim_groups / sizeof *optim_groups, NULL,
};

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
    s.base.hist_every = -1; /* the recipe's, unless given */
    if (optim) {
        for (optim_kind k = OPT_SGD; k <= OPT_ADAM; k++)
            s.optims[s.noptims++] = (study_optim){k, study_default_lr(k)};
    } else {
        s.inits[0] = INIT_NORMAL, s.inits[1] = INIT_SCALED, s.inits[2] = INIT_HE, s.ninits = 3;
    }
    study_opts d = s;
    if (flags_parse(optim ? &study_optim_cmd : &study_init_cmd, argc, argv, 3, &s, &d))
        return 0;
    if (s.base.no_output && s.base.out_dir)
        die_status(EXIT_USAGE, "give --out or --no-output, not both");
    s.base.command = command_line(argc, argv);
    int st = optim ? study_optim_run(&s) : study_init_run(&s);
    free((char *)s.base.command);
    return st;
}

static int run_command(int argc, char **argv)
{
    const char *cmd = argv[1];
    if (dist_size() > 1 && strcmp(cmd, "train")) { /* one line, from rank 0 */
        if (dist_rank() == 0)
            fprintf(stderr, "clnet: %s runs in one process: under mpirun only clnet train runs "
                    "on several ranks\n", cmd);
        dist_fail(EXIT_USAGE);
    }
    if (!strcmp(cmd, "train"))
        return cmd_train(argc, argv);
    if (!strcmp(cmd, "bench"))
        return cmd_bench(argc, argv);
    if (!strcmp(cmd, "study"))
        return cmd_study(argc, argv);
    if (!strcmp(cmd, "eval"))
        return cmd_eval(argc, argv);
    if (!strcmp(cmd, "predict"))
        return cmd_predict(argc, argv);
    if (!strcmp(cmd, "export"))
        return cmd_export(argc, argv);
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
    if (e == EPIPE || stop_requested() == SIGPIPE) /* the reader left (`| head`): as SIGPIPE */
        return status ? status : 128 + SIGPIPE;
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
    dist_init(&argc, &argv);
    if (dist_rank() > 0 && !freopen("/dev/null", "w", stdout)) /* rank 0 speaks for the job */
        die("cannot send the standard output of rank %d to /dev/null", dist_rank());
    int status = run_command(argc, argv);
    int sig = stop_requested();
    if (sig && sig != SIGPIPE && status == 0) { /* came after the last poll: the work is done */
        fflush(stdout);
        fprintf(stderr, "clnet: %s as the command ended (its output is complete)\n",
                stop_what(sig));
        status = 128 + sig;
    }
    status = finish_stdout(status);
    dist_finalize(); /* every rank gets here (die() ends a rank, and mpirun the job, at once) */
    return status;
}
