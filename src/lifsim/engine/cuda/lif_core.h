/* lifsim's per-neuron arithmetic, written once for the CUDA kernels and the CPU check.
 *
 * This file is compiled twice: by NVRTC into the GPU kernels (lif_kernels.cu, with
 * LIF_FN = __device__ __forceinline__ and --fmad=false) and by the system C compiler
 * into the CPU harness of the tests (lif_reference.c, with -ffp-contract=off), which is
 * compared bit for bit with lifsim's numba engine.  Every function mirrors a function of
 * lifsim/engine/numba_engine.py operation for operation: no fused multiply-add, no
 * reassociation, IEEE division and square root.
 *
 * The constants LIF_SQRT2, LIF_PIO2, LIF_LN2_HI, LIF_LN2_LO, LIF_L0..6, LIF_S0..5,
 * LIF_C0..5 (stream version 2, double) and LIF_F_LN2_HI, LIF_F_LN2_LO, LIF_F_PIO2, LIF_F_L0..3,
 * LIF_F_S0..3, LIF_F_C0..3 (stream version 3, float) are defined before this file by
 * lifsim.engine.cuda.source from lifsim.portable (hexadecimal literals: the exact bits).
 * Units: V, A, Ohm.
 */

#ifndef LIF_FN
#define LIF_FN static inline
#endif

#define LIF_GAMMA 0x9E3779B97F4A7C15ULL
#define LIF_M1 0xBF58476D1CE4E5B9ULL
#define LIF_M2 0x94D049BB133111EBULL
#define LIF_TWO53 (1ULL << 53)
#define LIF_MASK51 ((1ULL << 51) - 1ULL)
#define LIF_TWO_M53 0x1p-53
#define LIF_TWO_M51 0x1p-51

/* loops over a run's input parts and noise terms stay loops on the GPU (unrolled, their loads in flight
   at once would cost registers: see lifsim.engine.cuda.compile_check) */
#ifdef __CUDA_ARCH__
#define LIF_ROLLED _Pragma("unroll 1")
#else
#define LIF_ROLLED
#endif

/* kinds of lowered input parts (lifsim.engine.plan: DET, MOD, WHITE, ARRAY) */
#define LIF_DET 0
#define LIF_MOD 1
#define LIF_WHITE 2
#define LIF_ARRAY 3

typedef unsigned long long lif_u64;
typedef long long lif_i64;

/* The model's scalars (lifsim.engine.plan.Model). */
typedef struct {
    double a, decay, el, r, vr, vth, lag_shift;
    int exact, spiking, per_neuron_ref;
    lif_i64 ref_steps;
    int normals; /* the stream version of the normals: 3 (float, one draw a pair) or 2 (double, two draws) */
} lif_model;

/* The lowered input of one chunk (lifsim.engine.plan.Drive); rows and arr are row-major, K columns. */
typedef struct {
    lif_i64 offset, columns, parts, whites;
    const lif_i64 *kind, *slot, *u_first;
    const unsigned char *per_neuron;
    const double *mean, *rows, *u_amp, *w_scale, *arr;
    const lif_u64 *u_key, *w_key;
} lif_drive;

LIF_FN lif_u64 lif_mix(lif_u64 z) {
    z = (z ^ (z >> 30)) * LIF_M1;
    z = (z ^ (z >> 27)) * LIF_M2;
    return z ^ (z >> 31);
}

/* draw `draw` (0-based) of neuron j in the stream of `key` (CounterStream.raw) */
LIF_FN lif_u64 lif_raw(lif_u64 key, lif_i64 j, lif_i64 draw) {
    return lif_mix(key + ((((lif_u64)j) << 32) + (lif_u64)(draw + 1)) * LIF_GAMMA);
}

/* U[0, 1) with 53 random bits */
LIF_FN double lif_uniform(lif_u64 key, lif_i64 j, lif_i64 draw) {
    return (double)(lif_i64)(lif_raw(key, j, draw) >> 11) * LIF_TWO_M53;
}

/* bit casts between a double and its IEEE bits */
#ifdef __CUDACC__
LIF_FN lif_i64 lif_float_bits(double x) { return __double_as_longlong(x); }
LIF_FN double lif_bits_float(lif_i64 i) { return __longlong_as_double(i); }
#else
LIF_FN lif_i64 lif_float_bits(double x) {
    lif_i64 i;
    memcpy(&i, &x, sizeof i);
    return i;
}
LIF_FN double lif_bits_float(lif_i64 i) {
    double x;
    memcpy(&x, &i, sizeof x);
    return x;
}
#endif

/* m = 2^e f exactly, f in [sqrt(1/2), sqrt(2)], for 1 <= m <= 2^53 (lifsim.portable._binade), by bit casts */
LIF_FN void lif_binade(lif_i64 m, lif_i64 *e_out, double *f_out) {
    lif_i64 bits = lif_float_bits((double)m);
    lif_i64 e = (bits >> 52) - 1023;
    double f = lif_bits_float((bits & 0xFFFFFFFFFFFFFLL) | 0x3FF0000000000000LL);
    int big = f > LIF_SQRT2;
    *e_out = big ? e + 1 : e;
    *f_out = big ? f * 0.5 : f;
}

/* -2 ln(1 - u) of a draw (lifsim.portable.neg2log) */
LIF_FN double lif_neg2log(lif_u64 raw) {
    lif_i64 m = (lif_i64)(LIF_TWO53 - (raw >> 11));
    lif_i64 e;
    double f;
    lif_binade(m, &e, &f);
    double s = (f - 1.0) / (f + 1.0);
    double z = s * s;
    double r = (((((LIF_L6 * z + LIF_L5) * z + LIF_L4) * z + LIF_L3) * z + LIF_L2) * z + LIF_L1) * z + LIF_L0;
    double ln_f = 2.0 * s + s * (z * r);
    double k = (double)(e - 53);
    return -2.0 * (k * LIF_LN2_HI + (k * LIF_LN2_LO + ln_f));
}

/* the quadrant turn of both stream versions' cosine and sine (lifsim.portable's; T double or float): the pair
   (sin_w, cos_w) of the folded angle, swapped back in the upper half of the quadrant (upper), then turned to
   quadrant q; selects and negations only, so exact in either type */
#define LIF_TURN(T, q, upper, sin_w, cos_w, cos_out, sin_out)            \
    do {                                                                  \
        T lif_sin_p_ = (upper) ? (cos_w) : (sin_w);                        \
        T lif_cos_p_ = (upper) ? (sin_w) : (cos_w);                        \
        int lif_odd_ = ((q) & 1) == 1;                                     \
        T lif_cos_t_ = lif_odd_ ? lif_sin_p_ : lif_cos_p_;                 \
        T lif_sin_t_ = lif_odd_ ? lif_cos_p_ : lif_sin_p_;                 \
        (cos_out) = (((q) + 1) & 2) == 2 ? -lif_cos_t_ : lif_cos_t_;       \
        (sin_out) = ((q) & 2) == 2 ? -lif_sin_t_ : lif_sin_t_;             \
    } while (0)

/* (cos, sin) of 2 pi u for a draw (lifsim.portable.sincos_quarter) */
LIF_FN void lif_sincos(lif_u64 raw, double *cos_out, double *sin_out) {
    lif_u64 k = raw >> 11;
    lif_i64 q = (lif_i64)(k >> 51);
    double w = (double)(lif_i64)(k & LIF_MASK51) * LIF_TWO_M51;
    int upper = w > 0.5;
    w = upper ? 1.0 - w : w;
    double x = w * LIF_PIO2;
    double z = x * x;
    double ps = ((((LIF_S5 * z + LIF_S4) * z + LIF_S3) * z + LIF_S2) * z + LIF_S1) * z + LIF_S0;
    double sin_w = x + x * z * ps;
    double pc = ((((LIF_C5 * z + LIF_C4) * z + LIF_C3) * z + LIF_C2) * z + LIF_C1) * z + LIF_C0;
    double hz = 0.5 * z;
    double c = 1.0 - hz;
    double cos_w = c + (((1.0 - c) - hz) + z * (z * pc));
    LIF_TURN(double, q, upper, sin_w, cos_w, *cos_out, *sin_out);
}

/* the two normals of Box-Muller pair `pair` of neuron j (draws 2 pair and 2 pair + 1) */
LIF_FN void lif_pair(lif_u64 key, lif_i64 j, lif_i64 pair, double *z_cos, double *z_sin) {
    double r = sqrt(lif_neg2log(lif_raw(key, j, 2 * pair)));
    double c, s;
    lif_sincos(lif_raw(key, j, 2 * pair + 1), &c, &s);
    *z_cos = r * c;
    *z_sin = r * s;
}

/* stream version 3's two normals of one draw (lifsim.portable.box_muller_f32): the range reduction exact
   in double, the polynomials, division, square root and products in float, each normal widened exactly */
LIF_FN void lif_box_muller_f32(lif_u64 raw, double *z_cos, double *z_sin) {
    lif_i64 m = (lif_i64)((1ULL << 32) - (raw >> 32));
    lif_i64 e;
    double f;
    lif_binade(m, &e, &f);
    float d = (float)(f - 1.0);
    float s = d / (d + 2.0f);
    float z = s * s;
    float ln_f = (s + s) + s * (z * (((LIF_F_L3 * z + LIF_F_L2) * z + LIF_F_L1) * z + LIF_F_L0));
    float k = (float)(32 - e);
    float x = (k * LIF_F_LN2_HI - ln_f) + k * LIF_F_LN2_LO;
    float r = sqrtf(x + x);
    lif_u64 low = raw & 0xFFFFFFFFULL;
    lif_i64 q = (lif_i64)(low >> 30);
    double w = (double)(lif_i64)(low & 0x3FFFFFFFULL) * 0x1p-30;
    int upper = w > 0.5;
    w = upper ? 1.0 - w : w;
    float xx = (float)w * LIF_F_PIO2;
    float zz = xx * xx;
    float sin_w = xx + xx * (zz * (((LIF_F_S3 * zz + LIF_F_S2) * zz + LIF_F_S1) * zz + LIF_F_S0));
    float cos_w = (1.0f - 0.5f * zz) + zz * (zz * (((LIF_F_C3 * zz + LIF_F_C2) * zz + LIF_F_C1) * zz + LIF_F_C0));
    float cos_t, sin_t;
    LIF_TURN(float, q, upper, sin_w, cos_w, cos_t, sin_t);
    *z_cos = (double)(r * cos_t);
    *z_sin = (double)(r * sin_t);
}

/* N(0, 1) of a white term at update step kk: the cosine half of pair kk / 2 on even kk (the sine half
   kept in *spare), that sine half on odd kk; version 3 makes the pair from draw kk / 2, version 2 from
   draws kk and kk + 1 */
LIF_FN double lif_normal(lif_u64 key, lif_i64 j, lif_i64 kk, double *spare, int normals) {
    if (kk % 2 == 0) {
        double z, other;
        if (normals == 3)
            lif_box_muller_f32(lif_raw(key, j, kk / 2), &z, &other);
        else
            lif_pair(key, j, kk / 2, &z, &other);
        *spare = other;
        return z;
    }
    return *spare;
}

/* One update of neuron j from V = v at update step kk (lifsim.engine.numba_engine._step_general):
   the input's parts added left to right, Euler or exact.  White term w's normal of this step is drawn
   where it is used (once per step), its spare half kept in spare[w * stride].
   Returns V before threshold and refractoriness. */
LIF_FN double lif_update(const lif_model *model, const lif_drive *drive, double v, lif_i64 j, lif_i64 kk,
                         double *spare, lif_i64 stride) {
    lif_i64 column = kk - drive->offset;
    double current = 0.0;
    int first = 1;
    LIF_ROLLED for (int p = 0; p < (int)drive->parts; p++) {
        lif_i64 kind = drive->kind[p];
        lif_i64 index = drive->slot[p];
        double value;
        if (kind == LIF_DET) {
            value = drive->rows[index * drive->columns + column];
        } else if (kind == LIF_MOD) {
            double total = drive->rows[index * drive->columns + column];
            LIF_ROLLED for (lif_i64 u = drive->u_first[p]; u < drive->u_first[p + 1]; u++)
                total = total + drive->u_amp[u] * (2.0 * lif_uniform(drive->u_key[u], j, kk) - 1.0);
            value = drive->mean[p] * total;
        } else if (kind == LIF_WHITE) {
            if (model->exact) {
                if (drive->mean[p] == 0.0) continue;
                value = drive->mean[p];
            } else {
                double z = lif_normal(drive->w_key[index], j, kk, spare + index * stride, model->normals);
                value = drive->mean[p] + drive->w_scale[index] * z;
            }
        } else {
            lif_i64 row = drive->per_neuron[p] ? index + j : index;
            value = drive->arr[row * drive->columns + column];
        }
        current = first ? value : current + value;
        first = 0;
    }
    double x;
    if (model->exact) {
        double v_inf = model->el + model->r * current;
        x = v_inf + (v - v_inf) * model->decay;
        LIF_ROLLED for (lif_i64 w = 0; w < drive->whites; w++)
            x = x + drive->w_scale[w] * lif_normal(drive->w_key[w], j, kk, spare + w * stride, model->normals);
    } else {
        x = v + model->a * (model->el - v + model->r * current);
    }
    return x;
}

/* Refractory hold, threshold and reset (numba_engine._settle): updates *v and *hold, returns 1 on a spike */
LIF_FN int lif_settle(const lif_model *model, double *v, lif_i64 *hold, lif_i64 ref_j) {
    double x = *v;
    lif_i64 h = *hold;
    int held = h > 0;
    x = held ? model->vr : x;
    h = held ? h - 1 : h;
    int f = (x > model->vth) && model->spiking;
    x = f ? model->vr : x;
    h = f ? ref_j : h;
    *v = x;
    *hold = h;
    return f;
}

/* Chan's merge in the canonical operation order (lifsim.reduce.combine) */
LIF_FN void lif_combine(lif_i64 na, double ma, double qa, lif_i64 nb, double mb, double qb, lif_i64 *n_out,
                        double *m_out, double *q_out) {
    lif_i64 count = na + nb;
    double fa = (double)na, fb = (double)nb, fn = (double)count;
    double d = mb - ma;
    *n_out = count;
    *m_out = ma + d * (fb / fn);
    *q_out = qa + qb + d * d * (fa * fb / fn);
}

/* the arguments of lif_advance (the CUDA kernel and its CPU twin take the same) */
#define LIF_ADVANCE_PARAMS \
    /* the model */ \
    double a, double decay, double el, double r, double vr, double vth, double lag_shift, int exact, int spiking, \
    int per_neuron_ref, lif_i64 ref_steps, int normals, \
    /* the chunk's lowered input */ \
    lif_i64 offset, lif_i64 columns, lif_i64 parts, lif_i64 whites, const lif_i64 *kind, const lif_i64 *slot, \
    const lif_i64 *u_first, const unsigned char *per_neuron, const double *mean, const double *rows, \
    const double *u_amp, const double *w_scale, const double *arr, const lif_u64 *u_key, const lif_u64 *w_key, \
    /* the neurons lo .. hi - 1 of the range, nodes of `node` neurons; time points k0 .. k1 - 1 */ \
    lif_i64 lo, lif_i64 hi, int node, lif_i64 k0, lif_i64 k1, \
    /* the range's state (index s = j - lo; n = hi - lo) */ \
    double *v, lif_i64 *hold, int refractory, const lif_i64 *ref, double *spare, double *ring, int depth, \
    lif_i64 *counts, double *snapshots, const lif_i64 *snap_row, \
    /* what to record */ \
    const lif_i64 *lags, int n_lags, const lif_i64 *rec_neurons, const lif_i64 *rec_rows, int n_rec, double *trace, \
    int record_spikes, lif_i64 cap, lif_i64 *spike_k, lif_i64 *spike_j, lif_i64 *spike_n, \
    /* each node's canonical statistics per time point of the chunk */ \
    double *node_mean, double *node_m2, double *node_lag

/* the model and the drive, from LIF_ADVANCE_PARAMS */
#define LIF_UNPACK(model, drive) \
    lif_model model = {a, decay, el, r, vr, vth, lag_shift, exact, spiking, per_neuron_ref, ref_steps, normals}; \
    lif_drive drive = {offset, columns, parts, whites, kind, slot, u_first, per_neuron, mean, rows, u_amp, w_scale, \
                       arr, u_key, w_key}

/* the arguments of lif_merge_nodes */
#define LIF_MERGE_PARAMS \
    const lif_i64 *count_in, const double *mean_in, const double *m2_in, const double *lag_in, lif_i64 nodes, \
    lif_i64 width, int n_lags, lif_i64 *count_out, double *mean_out, double *m2_out, double *lag_out

/* Entry idx = i * width + c of the next level of the canonical tree over `nodes` nodes (one node's merge at one
   time point): node i is the merge of nodes 2i and 2i + 1; an odd last node passes up. */
LIF_FN void lif_merge_entry(lif_i64 idx, LIF_MERGE_PARAMS) {
    const lif_i64 pairs = nodes / 2;
    const lif_i64 i = idx / width;
    const lif_i64 c = idx % width;
    if (i < pairs) {
        const lif_i64 a = 2 * i, b = 2 * i + 1;
        lif_i64 cnt;
        double mu, q;
        lif_combine(count_in[a], mean_in[a * width + c], m2_in[a * width + c], count_in[b], mean_in[b * width + c],
                    m2_in[b * width + c], &cnt, &mu, &q);
        mean_out[i * width + c] = mu;
        m2_out[i * width + c] = q;
        if (c == 0) count_out[i] = cnt;
        for (int li = 0; li < n_lags; li++)
            lag_out[(i * n_lags + li) * width + c] =
                lag_in[(a * n_lags + li) * width + c] + lag_in[(b * n_lags + li) * width + c];
    } else {
        const lif_i64 a = nodes - 1;
        mean_out[i * width + c] = mean_in[a * width + c];
        m2_out[i * width + c] = m2_in[a * width + c];
        if (c == 0) count_out[i] = count_in[a];
        for (int li = 0; li < n_lags; li++)
            lag_out[(i * n_lags + li) * width + c] = lag_in[(a * n_lags + li) * width + c];
    }
}

#define LIF_MERGE_ARGS count_in, mean_in, m2_in, lag_in, nodes, width, n_lags, count_out, mean_out, m2_out, lag_out
