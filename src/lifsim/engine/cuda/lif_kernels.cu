/* lifsim's GPU kernels (CUDA C, compiled by NVRTC through CuPy with --fmad=false).
 *
 * lif_advance: one thread per neuron, one thread block per node of up to LIF_NODE neurons (a power of
 * two, 32 .. 1024: an aligned node of lifsim's canonical reduction tree).  V and the refractory counter
 * stay in registers through the chunk, the spare Box-Muller half of each white term in shared memory
 * (s_spare: a per-thread array indexed by the term would live in local memory); a spike adds one to
 * the neuron's count in global memory.  Each time point the node's statistics are reduced in the
 * canonical order: a warp is a group of 32, folded by halves with shuffles (lane i + lane i + 16, + 8,
 * + 4, + 2, + 1: exactly lifsim.reduce.fold), then the node's groups merged level by level (Chan's
 * formulas, an odd last node passed up).  Spikes are compacted per node in (time, neuron) order with
 * warp ballots.
 *
 * Launch bounds: __launch_bounds__(LIF_NODE, LIF_MIN_BLOCKS) holds the kernel to 65536 / (LIF_NODE *
 * LIF_MIN_BLOCKS) = 64 registers per thread, so that a block of any node size fits the 65,536 registers
 * a block may use on sm_70 .. sm_90 and 32 warps fit on an SM; tests/test_cuda_compile.py compiles the
 * source with NVRTC and ptxas and checks that it does so without spilling
 * (lifsim.engine.cuda.compile_check).
 *
 * lif_merge_nodes: one level of the canonical tree over the nodes' (mean, m2, lag sums), for every
 * time point of the chunk at once; launched until one root is left.
 *
 * lif_core.h (the per-neuron arithmetic) and the portable constants are prepended by
 * lifsim.engine.cuda.source, with LIF_FN = __device__ __forceinline__, LIF_MAX_WHITE, LIF_NODE and
 * LIF_MIN_BLOCKS set.
 */

#define LIF_FULL 0xffffffffu
#if !defined(LIF_NODE) || !defined(LIF_MIN_BLOCKS) || !defined(LIF_MAX_WHITE)
#error "LIF_NODE, LIF_MIN_BLOCKS and LIF_MAX_WHITE are set by lifsim.engine.cuda.source.kernel_source"
#endif
#define LIF_GROUPS (LIF_NODE / 32)

__device__ __forceinline__ double lif_warp_fold(double x) {
    x = x + __shfl_down_sync(LIF_FULL, x, 16);
    x = x + __shfl_down_sync(LIF_FULL, x, 8);
    x = x + __shfl_down_sync(LIF_FULL, x, 4);
    x = x + __shfl_down_sync(LIF_FULL, x, 2);
    x = x + __shfl_down_sync(LIF_FULL, x, 1);
    return x;  /* lane 0 holds the group's fold */
}

/* the node's groups s_count/s_mean/s_m2[0 .. groups - 1] merged level by level by warp 0; the root in [0] */
__device__ __forceinline__ void lif_merge_groups(lif_i64 *s_count, double *s_mean, double *s_m2, int groups,
                                                 int lane) {
    int size = groups;
    while (size > 1) {
        int pairs = size / 2;
        lif_i64 c = 0;
        double mu = 0.0, q = 0.0;
        if (lane < pairs)
            lif_combine(s_count[2 * lane], s_mean[2 * lane], s_m2[2 * lane], s_count[2 * lane + 1],
                        s_mean[2 * lane + 1], s_m2[2 * lane + 1], &c, &mu, &q);
        __syncwarp();
        if (lane < pairs) {
            s_count[lane] = c;
            s_mean[lane] = mu;
            s_m2[lane] = q;
        }
        if (size % 2 && lane == 0) {
            s_count[pairs] = s_count[size - 1];
            s_mean[pairs] = s_mean[size - 1];
            s_m2[pairs] = s_m2[size - 1];
        }
        __syncwarp();
        size = pairs + size % 2;
    }
}

__device__ __forceinline__ void lif_sum_groups(double *s_sum, int groups, int lane) {
    int size = groups;
    while (size > 1) {
        int pairs = size / 2;
        double t = 0.0;
        if (lane < pairs) t = s_sum[2 * lane] + s_sum[2 * lane + 1];
        __syncwarp();
        if (lane < pairs) s_sum[lane] = t;
        if (size % 2 && lane == 0) s_sum[pairs] = s_sum[size - 1];
        __syncwarp();
        size = pairs + size % 2;
    }
}

extern "C" __global__ void __launch_bounds__(LIF_NODE, LIF_MIN_BLOCKS) lif_advance(LIF_ADVANCE_PARAMS) {
    __shared__ lif_i64 s_count[LIF_GROUPS];
    __shared__ double s_mean[LIF_GROUPS];
    __shared__ double s_m2[LIF_GROUPS];
    __shared__ double s_sum[LIF_GROUPS];
    __shared__ int s_spikes[LIF_GROUPS];
    __shared__ double s_spare[LIF_MAX_WHITE * LIF_NODE];  /* white term w's spare half: s_spare[w * LIF_NODE + tid] */

    LIF_UNPACK(model, drive);

    const int tid = threadIdx.x;
    const int lane = tid & 31;
    const int warp = tid >> 5;
    const lif_i64 g = blockIdx.x;
    const lif_i64 n = hi - lo;
    const lif_i64 first = lo + g * node;
    const int m = (int)((hi - first) < node ? (hi - first) : node);  /* neurons of this node */
    const int groups = (m + 31) / 32;
    const int warps = (int)(blockDim.x / 32);
    const lif_i64 j = first + tid;
    const int active = tid < m;
    const lif_i64 s = j - lo;
    const int width = (int)(k1 - k0);
    const int group_count = (m - warp * 32) < 32 ? (m - warp * 32) : 32;

    double vj = active ? v[s] : 0.0;
    lif_i64 hj = (active && refractory) ? hold[s] : 0;
    double *my_spare = s_spare + tid;
    for (int w = 0; w < (int)whites; w++) my_spare[w * LIF_NODE] = active ? spare[w * n + s] : 0.0;
    /* this neuron's trace row (-1: not recorded), a binary search of the sorted recorded neurons; kept in
       shared memory, read once a step */
    __shared__ int s_row[LIF_NODE];
    {
        int row = -1;
        if (active && n_rec > 0) {
            int left = 0, right = n_rec;
            while (left < right) {
                int mid = (left + right) / 2;
                if (rec_neurons[mid] < j) left = mid + 1; else right = mid;
            }
            if (left < n_rec && rec_neurons[left] == j) row = (int)rec_rows[left];
        }
        s_row[tid] = row;
    }
    lif_i64 n_spikes = 0;
    int ring_row = depth > 0 ? (int)(k0 % depth) : 0;  /* the ring's row of time point k: k % depth, kept up to
                                                          date without a 64-bit remainder each step */

    for (int c = 0; c < width; c++) {
        const lif_i64 k = k0 + c;
        int fired = 0;
        if (k > 0 && active) {
            double x = lif_update(&model, &drive, vj, j, k - 1, my_spare, LIF_NODE);
            fired = lif_settle(&model, &x, &hj, per_neuron_ref ? ref[s] : ref_steps);
            vj = x;
            if (fired) counts[s] += 1;  /* rare: no register holds the count through the chunk */
        }
        if (record_spikes && k > 0) {  /* block-wide compaction in neuron order */
            unsigned int ballot = __ballot_sync(LIF_FULL, fired);
            if (lane == 0) s_spikes[warp] = __popc(ballot);
            __syncthreads();
            lif_i64 before = n_spikes, total = n_spikes;
            for (int w = 0; w < warps; w++) {
                if (w < warp) before += s_spikes[w];
                total += s_spikes[w];
            }
            before += __popc(ballot & ((1u << lane) - 1u));
            if (fired && before < cap) {
                spike_k[g * cap + before] = k;
                spike_j[g * cap + before] = j;
            }
            n_spikes = total;
            __syncthreads();
        }
        /* the node's moments: groups of 32 folded, then merged */
        double x = active ? vj : 0.0;
        double sum = lif_warp_fold(x);
        double group_mean = __shfl_sync(LIF_FULL, sum, 0) / (double)(group_count > 0 ? group_count : 1);
        double d = active ? vj - group_mean : 0.0;
        double dev2 = lif_warp_fold(d * d);
        if (lane == 0 && warp < groups) {
            s_count[warp] = group_count;
            s_mean[warp] = group_mean;
            s_m2[warp] = dev2;
        }
        __syncthreads();
        if (warp == 0) {
            lif_merge_groups(s_count, s_mean, s_m2, groups, lane);
            if (lane == 0) {
                node_mean[g * width + c] = s_mean[0];
                node_m2[g * width + c] = s_m2[0];
            }
        }
        __syncthreads();
        if (depth > 0) {
            if (active) ring[(lif_i64)ring_row * n + s] = vj;
            for (int li = 0; li < n_lags; li++) {
                const lif_i64 lag = lags[li];
                if (k < lag) continue;  /* uniform across the block */
                double product = 0.0;
                int back = ring_row - (int)lag;  /* the row of k - lag: (k - lag) % depth, as 0 <= lag < depth */
                back = back < 0 ? back + depth : back;
                if (active) product = (ring[(lif_i64)back * n + s] - lag_shift) * (vj - lag_shift);
                double folded = lif_warp_fold(product);
                if (lane == 0 && warp < groups) s_sum[warp] = folded;
                __syncthreads();
                if (warp == 0) {
                    lif_sum_groups(s_sum, groups, lane);
                    if (lane == 0) node_lag[(g * n_lags + li) * width + c] = s_sum[0];
                }
                __syncthreads();
            }
            ring_row = ring_row + 1 == depth ? 0 : ring_row + 1;
        }
        const int row = s_row[tid];
        if (row >= 0) trace[(lif_i64)row * width + c] = vj;
        const lif_i64 snap = snap_row[c];
        if (snap >= 0 && active) snapshots[snap * n + s] = vj;
    }
    if (active) {
        v[s] = vj;
        if (refractory) hold[s] = hj;
        for (int w = 0; w < whites; w++) spare[w * n + s] = my_spare[w * LIF_NODE];
    }
    if (tid == 0) spike_n[g] = n_spikes;
}

/* One level of the canonical tree over `nodes` nodes, every time point at once: node i of the next level is
   the merge of nodes 2i and 2i + 1 (an odd last node passes up).  One thread per (next node, time point). */
extern "C" __global__ void lif_merge_nodes(LIF_MERGE_PARAMS) {
    const lif_i64 next = nodes / 2 + nodes % 2;
    const lif_i64 idx = (lif_i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx < next * width) lif_merge_entry(idx, LIF_MERGE_ARGS);
}
