/* hparams.h: the optimizers and their settings, on the host (the device update is optim.c's,
 * the plain-C reference ref.c's). */
#ifndef CLNET_HPARAMS_H
#define CLNET_HPARAMS_H

typedef enum { OPT_SGD, OPT_MOMENTUM, OPT_ADAM } optim_kind;

typedef struct {
    optim_kind kind;
    float momentum;       /* momentum: 0.9 */
    float beta1, beta2;   /* Adam: 0.9, 0.999 */
    float eps;            /* Adam: 1e-8 (TensorFlow's default) */
    float weight_decay;   /* L2 on the weights (not the biases): 0 */
} optim_hparams;

int optim_parse(const char *s, optim_kind *out); /* "sgd", "momentum", "adam"; -1 otherwise */
const char *optim_name(optim_kind k);
int optim_state_arenas(optim_kind k);            /* parameter-sized state buffers: 0, 1, 2 */
/* The learning rate the kernel uses at update t (Adam: bias-corrected). */
double optim_step_lr(const optim_hparams *h, double lr, long t);

#endif
