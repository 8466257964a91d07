/* sgd.cl: plain gradient descent over the whole parameter arena. Does nothing once the loss
 * has been non-finite (status[0] set by loss_reduce), so the last finite weights survive. */
__kernel void sgd_update(__global float *params, __global const float *grads,
                         __global const int *status, float lr)
{
    if (status[0])
        return;
    size_t i = get_global_id(0);
    params[i] -= lr * grads[i];
}
