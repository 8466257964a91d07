/* optim.cl: one update of every parameter, for every optimizer, in one kernel over the arena.
 * g is the gradient plus wd * p where decay[i] is 1 (weights; biases are not decayed).
 *   kind 0, SGD:      p -= lr * g
 *   kind 1, momentum: m = mu * m + g;  p -= lr * m                      (TensorFlow's Momentum)
 *   kind 2, Adam:     m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *                     p -= lr * m / (sqrt(v) + eps), lr bias-corrected by the host (as TensorFlow)
 * Does nothing once the loss has been non-finite (status[0] set), so the last finite weights
 * survive. m and v are unused (any buffer) for the kinds that have no state. */
__kernel void optim_update(__global float *p, __global const float *grads, __global float *m,
                           __global float *v, __global const float *decay,
                           __global const int *status, int kind, float lr, float mu, float b1,
                           float b2, float eps, float wd)
{
    if (status[0])
        return;
    size_t i = get_global_id(0);
    float g = grads[i] + wd * decay[i] * p[i];
    if (kind == 0) {
        p[i] -= lr * g;
    } else if (kind == 1) {
        float mi = mu * m[i] + g;
        m[i] = mi;
        p[i] -= lr * mi;
    } else {
        float mi = b1 * m[i] + (1.0f - b1) * g;
        float vi = b2 * v[i] + (1.0f - b2) * g * g;
        m[i] = mi;
        v[i] = vi;
        p[i] -= lr * mi / (sqrt(vi) + eps);
    }
}
