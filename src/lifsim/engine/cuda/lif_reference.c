/* The CPU twin of lif_kernels.cu: the same two kernels with the same arguments, each CUDA thread block
 * and each warp run one after the other.  Compiled by the system C compiler (-ffp-contract=off) with
 * lif_core.h, so that the GPU engine's arithmetic and its chunk, buffer and merge logic
 * (lifsim.engine.cuda.engine) are checked bit for bit against lifsim's CPU engines on machines
 * without a GPU.  The warp primitives are replaced by their definitions:
 *   - a shuffle fold (lane i + lane i + 16, + 8, + 4, + 2, + 1) by the same additions on an array;
 *   - a ballot and prefix count by a loop over the node's neurons in order.
 */

#include <math.h>
#include <string.h>

static double lif_array_fold(double *lanes) {
    for (int offset = 16; offset >= 1; offset /= 2)
        for (int i = 0; i < offset; i++) lanes[i] = lanes[i] + lanes[i + offset];
    return lanes[0];
}

static void lif_merge_groups(lif_i64 *count, double *mean, double *m2, int groups) {
    int size = groups;
    while (size > 1) {
        int pairs = size / 2;
        for (int i = 0; i < pairs; i++)
            lif_combine(count[2 * i], mean[2 * i], m2[2 * i], count[2 * i + 1], mean[2 * i + 1], m2[2 * i + 1],
                        &count[i], &mean[i], &m2[i]);
        if (size % 2) {
            count[pairs] = count[size - 1];
            mean[pairs] = mean[size - 1];
            m2[pairs] = m2[size - 1];
        }
        size = pairs + size % 2;
    }
}

static void lif_sum_groups(double *sum, int groups) {
    int size = groups;
    while (size > 1) {
        int pairs = size / 2;
        for (int i = 0; i < pairs; i++) sum[i] = sum[2 * i] + sum[2 * i + 1];
        if (size % 2) sum[pairs] = sum[size - 1];
        size = pairs + size % 2;
    }
}

/* n_nodes: the grid, the CUDA launch's number of blocks */
void lif_advance(LIF_ADVANCE_PARAMS, lif_i64 n_nodes) {
    LIF_UNPACK(model, drive);
    const lif_i64 n = hi - lo;
    const lif_i64 width = k1 - k0;
    double lanes[32];
    lif_i64 g_count[32];
    double g_mean[32], g_m2[32], g_sum[32];
    for (lif_i64 g = 0; g < n_nodes; g++) {
        const lif_i64 first = lo + g * node;
        const lif_i64 m = (hi - first) < node ? (hi - first) : node;
        const int groups = (int)((m + 31) / 32);
        lif_i64 n_spikes = 0;
        for (lif_i64 k = k0; k < k1; k++) {
            const lif_i64 c = k - k0;
            if (k > 0) {
                const lif_i64 kk = k - 1;
                for (lif_i64 t = 0; t < m; t++) {  /* the threads in order: spikes land in neuron order */
                    const lif_i64 j = first + t, s = j - lo;
                    /* white term w's spare half in spare[w * n + s] (the kernel keeps it in shared memory) */
                    double x = lif_update(&model, &drive, v[s], j, kk, spare + s, n);
                    lif_i64 h = refractory ? hold[s] : 0;
                    lif_i64 refj = per_neuron_ref ? ref[s] : ref_steps;
                    int fired = lif_settle(&model, &x, &h, refj);
                    v[s] = x;
                    if (refractory) hold[s] = h;
                    counts[s] += fired;
                    if (record_spikes && fired) {
                        if (n_spikes < cap) {
                            spike_k[g * cap + n_spikes] = k;
                            spike_j[g * cap + n_spikes] = j;
                        }
                        n_spikes++;
                    }
                }
            }
            for (int q = 0; q < groups; q++) {  /* the warps */
                const lif_i64 base = first + (lif_i64)q * 32 - lo;
                const lif_i64 count = (m - (lif_i64)q * 32) < 32 ? (m - (lif_i64)q * 32) : 32;
                for (int i = 0; i < 32; i++) lanes[i] = i < count ? v[base + i] : 0.0;
                double group_mean = lif_array_fold(lanes) / (double)count;
                for (int i = 0; i < 32; i++) {
                    double d = i < count ? v[base + i] - group_mean : 0.0;
                    lanes[i] = d * d;
                }
                g_count[q] = count;
                g_mean[q] = group_mean;
                g_m2[q] = lif_array_fold(lanes);
            }
            lif_merge_groups(g_count, g_mean, g_m2, groups);
            node_mean[g * width + c] = g_mean[0];
            node_m2[g * width + c] = g_m2[0];
            if (depth > 0) {
                for (lif_i64 t = 0; t < m; t++) ring[(k % depth) * n + first - lo + t] = v[first - lo + t];
                for (int li = 0; li < n_lags; li++) {
                    const lif_i64 lag = lags[li];
                    if (k < lag) continue;
                    for (int q = 0; q < groups; q++) {
                        const lif_i64 base = first + (lif_i64)q * 32 - lo;
                        const lif_i64 count = (m - (lif_i64)q * 32) < 32 ? (m - (lif_i64)q * 32) : 32;
                        for (int i = 0; i < 32; i++)
                            lanes[i] = i < count
                                ? (ring[((k - lag) % depth) * n + base + i] - lag_shift) * (v[base + i] - lag_shift)
                                : 0.0;
                        g_sum[q] = lif_array_fold(lanes);
                    }
                    lif_sum_groups(g_sum, groups);
                    node_lag[(g * n_lags + li) * width + c] = g_sum[0];
                }
            }
            for (int i = 0; i < n_rec; i++)
                if (rec_neurons[i] >= first && rec_neurons[i] < first + m)
                    trace[rec_rows[i] * width + c] = v[rec_neurons[i] - lo];
            const lif_i64 snap = snap_row[c];
            if (snap >= 0)
                for (lif_i64 t = 0; t < m; t++) snapshots[snap * n + first - lo + t] = v[first - lo + t];
        }
        spike_n[g] = n_spikes;
    }
}

void lif_merge_nodes(LIF_MERGE_PARAMS) {
    const lif_i64 next = nodes / 2 + nodes % 2;
    for (lif_i64 idx = 0; idx < next * width; idx++) lif_merge_entry(idx, LIF_MERGE_ARGS);
}
