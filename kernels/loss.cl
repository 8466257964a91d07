/* loss.cl: softmax cross-entropy; its gradient divided by norm (the batch, or the global batch
 * of data-parallel ranks).
 * logits, probs, dlogits: (n, K) row per example; per: (n, 2) = (loss, correct) per example. */
__kernel void softmax_xent(__global const float *logits, __global const ushort *labels,
                           __global float *probs, __global float *dlogits, __global float *per,
                           int norm, int K)
{
    int b = get_global_id(0);
    __global const float *z = logits + (size_t)b * K;
    int y = labels[b], arg = 0;
    float m = z[0];
    for (int k = 1; k < K; k++)
        if (z[k] > m) {
            m = z[k];
            arg = k;
        }
    float s = 0.0f;
    for (int k = 0; k < K; k++)
        s += exp(z[k] - m);
    float inv_n = 1.0f / (float)norm;
    for (int k = 0; k < K; k++) {
        float p = exp(z[k] - m) / s;
        probs[(size_t)b * K + k] = p;
        dlogits[(size_t)b * K + k] = (p - (k == y ? 1.0f : 0.0f)) * inv_n;
    }
    per[2 * b] = log(s) - (z[y] - m);
    per[2 * b + 1] = arg == y ? 1.0f : 0.0f;
}

/* One work-item: stats[2*slot] = mean loss, stats[2*slot+1] = number correct. With guard set,
 * a non-finite mean latches status[0] = 1, which stops every later parameter update. */
__kernel void loss_reduce(__global const float *per, __global float *stats,
                          __global int *status, int slot, int n, int guard)
{
    float loss = 0.0f, correct = 0.0f;
    for (int b = 0; b < n; b++) {
        loss += per[2 * b];
        correct += per[2 * b + 1];
    }
    loss /= (float)n;
    stats[2 * slot] = loss;
    stats[2 * slot + 1] = correct;
    if (guard && !isfinite(loss))
        status[0] = 1;
}

/* pred[offset + b] = the class of the largest logit of example b (the first of equal ones: the
 * argmax softmax_xent counts as correct or not). */
__kernel void predicted_class(__global const float *logits, __global int *pred, int offset,
                              int K)
{
    int b = get_global_id(0);
    __global const float *z = logits + (size_t)b * K;
    int arg = 0;
    float m = z[0];
    for (int k = 1; k < K; k++)
        if (z[k] > m) {
            m = z[k];
            arg = k;
        }
    pred[offset + b] = arg;
}
