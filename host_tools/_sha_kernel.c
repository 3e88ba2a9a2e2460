/* Bluezone v2 ID derivation in C: host_tools._sha_kernel.
 *
 * The same function as bzfw.ids.day_ids for many daily keys at once:
 *   S_0 = SHA256(K || "bluzonesubkey"), S_i+1 = SHA256(S_i), ID_i = S_i[0,4,8,12,16,18,...,30].
 * Every hash input fits one 64-byte block, so a key-day is `slots` single-block compressions from the IV, each
 * needing the previous one's digest: a chain is bound by the latency of one compression. The way to the CPU's
 * limit is to run several independent chains (key-days) side by side ("multi-buffer" SHA-256):
 *   - avx512: 16 chains in the 16 32-bit lanes of AVX-512 registers (a software SHA-256 in vector
 *     instructions: vprord rotations, vpternlogd for Ch, Maj and three-way XOR);
 *   - sha-ni-4 / sha-ni-2: 4 or 2 chains' SHA-NI instructions interleaved (sha256rnds2 has a latency of several
 *     cycles and can start one every cycle or two, so one chain leaves the unit mostly idle);
 *   - portable: plain C, one chain after the other.
 * The best path is chosen at import from CPUID (and XGETBV: the OS must save the AVX-512 state); every path can
 * be asked for by name, and all give identical bytes (tests compare them with bzfw.ids on the vectors and on
 * Hypothesis keys). The chain stays in 32-bit words (a digest is the next block's first 8 message words; words
 * 8-15 are the constant padding), so there is no byte shuffling between steps. The GIL is released while
 * deriving, so threads scale over cores.
 *
 * derive(keys, slots, backend=None) -> bytes: each key's first `slots` 12-byte IDs, concatenated.
 * derive_columns(keys, slots, valid=None, backend=None, kd0=0) -> (hi, lo, kd, slot): the same IDs as the
 *   matcher's columns (host_tools.match.query): hi int64 = ID bytes 0-7 big-endian, lo int32 = bytes 8-11,
 *   kd int32 = kd0 + the key's index, slot int32, in the order they are computed (rows are not key-major: kd
 *   and slot say where each belongs); `valid` (int32 per key) keeps only slots 0..valid-1 of each key (the rest is not
 *   even computed).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define BZ_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static const uint32_t IV[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* One compression from the IV of the 16 message words w (already big-endian-decoded); out = digest words. */

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress_portable(const uint32_t win[16], uint32_t out[8]) {
    uint32_t w[64];
    memcpy(w, win, 64);
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = IV[0], b = IV[1], c = IV[2], d = IV[3], e = IV[4], f = IV[5], g = IV[6], h = IV[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    out[0] = IV[0] + a; out[1] = IV[1] + b; out[2] = IV[2] + c; out[3] = IV[3] + d;
    out[4] = IV[4] + e; out[5] = IV[5] + f; out[6] = IV[6] + g; out[7] = IV[7] + h;
}

#ifdef BZ_X86
/* Intel SHA extensions: state in the ABEF/CDGH layout sha256rnds2 wants; message words as 4-lane vectors.
 * W[g] for g >= 4 = msg2(msg1(W[g-4], W[g-3]) + (W[g-1]:W[g-2] >> 4 bytes), W[g-1]). */
__attribute__((target("sha,sse4.1"))) static void compress2_shani_(const uint32_t wa[16], const uint32_t wb[16],
                                                                   uint32_t oa[8], uint32_t ob[8]) {
    __m128i a0 = _mm_loadu_si128((const __m128i *)(wa + 0)), b0 = _mm_loadu_si128((const __m128i *)(wb + 0));
    __m128i a1 = _mm_loadu_si128((const __m128i *)(wa + 4)), b1 = _mm_loadu_si128((const __m128i *)(wb + 4));
    __m128i a2 = _mm_loadu_si128((const __m128i *)(wa + 8)), b2 = _mm_loadu_si128((const __m128i *)(wb + 8));
    __m128i a3 = _mm_loadu_si128((const __m128i *)(wa + 12)), b3 = _mm_loadu_si128((const __m128i *)(wb + 12));
    __m128i tmp, init0, init1, sa0, sa1, sb0, sb1, ma, mb, k;

    tmp = _mm_loadu_si128((const __m128i *)&IV[0]);
    init1 = _mm_loadu_si128((const __m128i *)&IV[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);
    init1 = _mm_shuffle_epi32(init1, 0x1B);
    init0 = _mm_alignr_epi8(tmp, init1, 8);      /* ABEF */
    init1 = _mm_blend_epi16(init1, tmp, 0xF0);   /* CDGH */
    sa0 = sb0 = init0;
    sa1 = sb1 = init1;

#define R2(WA, WB, i)                                                 \
    k = _mm_loadu_si128((const __m128i *)&K256[4 * (i)]);             \
    ma = _mm_add_epi32((WA), k);                                      \
    mb = _mm_add_epi32((WB), k);                                      \
    sa1 = _mm_sha256rnds2_epu32(sa1, sa0, ma);                        \
    sb1 = _mm_sha256rnds2_epu32(sb1, sb0, mb);                        \
    ma = _mm_shuffle_epi32(ma, 0x0E);                                 \
    mb = _mm_shuffle_epi32(mb, 0x0E);                                 \
    sa0 = _mm_sha256rnds2_epu32(sa0, sa1, ma);                        \
    sb0 = _mm_sha256rnds2_epu32(sb0, sb1, mb);
#define S1(Wa, Wb, Wc, Wd) \
    Wa = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(Wa, Wb), _mm_alignr_epi8(Wd, Wc, 4)), Wd);
#define S2(i, A0, A1, A2, A3, B0, B1, B2, B3) S1(A0, A1, A2, A3) S1(B0, B1, B2, B3) R2(A0, B0, i)

    R2(a0, b0, 0) R2(a1, b1, 1) R2(a2, b2, 2) R2(a3, b3, 3)
    S2(4, a0, a1, a2, a3, b0, b1, b2, b3)
    S2(5, a1, a2, a3, a0, b1, b2, b3, b0)
    S2(6, a2, a3, a0, a1, b2, b3, b0, b1)
    S2(7, a3, a0, a1, a2, b3, b0, b1, b2)
    S2(8, a0, a1, a2, a3, b0, b1, b2, b3)
    S2(9, a1, a2, a3, a0, b1, b2, b3, b0)
    S2(10, a2, a3, a0, a1, b2, b3, b0, b1)
    S2(11, a3, a0, a1, a2, b3, b0, b1, b2)
    S2(12, a0, a1, a2, a3, b0, b1, b2, b3)
    S2(13, a1, a2, a3, a0, b1, b2, b3, b0)
    S2(14, a2, a3, a0, a1, b2, b3, b0, b1)
    S2(15, a3, a0, a1, a2, b3, b0, b1, b2)
#undef R2
#undef S1
#undef S2

    sa0 = _mm_add_epi32(sa0, init0);
    sa1 = _mm_add_epi32(sa1, init1);
    sb0 = _mm_add_epi32(sb0, init0);
    sb1 = _mm_add_epi32(sb1, init1);
    tmp = _mm_shuffle_epi32(sa0, 0x1B);
    sa1 = _mm_shuffle_epi32(sa1, 0xB1);
    _mm_storeu_si128((__m128i *)(oa + 0), _mm_blend_epi16(tmp, sa1, 0xF0));
    _mm_storeu_si128((__m128i *)(oa + 4), _mm_alignr_epi8(sa1, tmp, 8));
    tmp = _mm_shuffle_epi32(sb0, 0x1B);
    sb1 = _mm_shuffle_epi32(sb1, 0xB1);
    _mm_storeu_si128((__m128i *)(ob + 0), _mm_blend_epi16(tmp, sb1, 0xF0));
    _mm_storeu_si128((__m128i *)(ob + 4), _mm_alignr_epi8(sb1, tmp, 8));
}

static int cpu_has_sha(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1)) return 0;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 29) & 1;
}
#endif

static void first_block(const uint8_t *key, uint32_t w[16]) {
    uint8_t block[64];
    /* K || "bluzonesubkey" (45 bytes) || 0x80 || zeros || bit length 360, big-endian */
    memcpy(block, key, 32);
    memcpy(block + 32, "bluzonesubkey", 13);
    block[45] = 0x80;
    memset(block + 46, 0, 16);
    block[62] = 360 >> 8;
    block[63] = 360 & 0xff;
    for (int i = 0; i < 16; i++)
        w[i] = ((uint32_t)block[4 * i] << 24) | ((uint32_t)block[4 * i + 1] << 16) |
               ((uint32_t)block[4 * i + 2] << 8) | block[4 * i + 3];
}



/* ---- output: either the 12-byte IDs or the matcher's columns -------------------------------------------- */
typedef struct {
    uint8_t *ids;          /* 12 bytes per ID, or NULL */
    int64_t *hi;           /* columns, or NULL */
    int32_t *lo, *kd, *slot;
    const Py_ssize_t *off; /* first output row of each key */
    const int32_t *valid;  /* slots kept per key (NULL: all) */
    int slots;
    int32_t kd0;           /* kd of the first key (a slice of a longer run) */
    uint32_t sink;         /* bench(): a checksum of the digests instead of any output */
    int seq;               /* columns in the order computed (step by step across the chains side by side):
                            * every store is to the next row, not 16 rows far apart; kd and slot say which */
    Py_ssize_t pos;
} Out;

static inline int steps_of(const Out *o, Py_ssize_t k) {
    (void)k;
    int v = o->valid ? o->valid[k] : o->slots;
    return v < o->slots ? (v < 0 ? 0 : v) : o->slots;
}

/* the ID of chain step i of key k, from the digest words s[0..7] */
static inline void emit(const Out *o, Py_ssize_t k, int i, uint32_t up, uint32_t low, uint32_t lo) {
    if (o->off == NULL) { /* bench(): the chains only; keep the values alive so nothing is optimised away */
        ((Out *)o)->sink ^= up ^ low ^ lo;
        return;
    }
    Py_ssize_t r = o->seq ? ((Out *)o)->pos++ : o->off[k] + i;
    if (o->ids) {
        uint8_t *id = o->ids + 12 * r;
        id[0] = up >> 24; id[1] = up >> 16; id[2] = up >> 8; id[3] = up;
        id[4] = low >> 24; id[5] = low >> 16; id[6] = low >> 8; id[7] = low;
        id[8] = lo >> 24; id[9] = lo >> 16; id[10] = lo >> 8; id[11] = lo;
    } else {
        o->hi[r] = (int64_t)(((uint64_t)up << 32) | low);
        o->lo[r] = (int32_t)lo;
        o->kd[r] = o->kd0 + (int32_t)k;
        o->slot[r] = i;
    }
}

/* ID bytes 0,4,8,12 = high byte of words 0..3; bytes 16..30 even = bytes 0 and 2 of words 4..7 */
#define ID_UP(s) (((s)[0] & 0xff000000u) | (((s)[1] >> 8) & 0xff0000u) | (((s)[2] >> 16) & 0xff00u) | ((s)[3] >> 24))
#define ID_LOW(s) (((s)[4] & 0xff000000u) | (((s)[4] << 8) & 0xff0000u) | (((s)[5] >> 16) & 0xff00u) | \
                   (((s)[5] >> 8) & 0xffu))
#define ID_LO(s) (((s)[6] & 0xff000000u) | (((s)[6] << 8) & 0xff0000u) | (((s)[7] >> 16) & 0xff00u) | \
                  (((s)[7] >> 8) & 0xffu))

static inline void emit_words(const Out *o, Py_ssize_t k, int i, const uint32_t s[8]) {
    emit(o, k, i, ID_UP(s), ID_LOW(s), ID_LO(s));
}

/* ---- block backends: G chains per call of compress(w[G][16]) -> out[G][8] ------------------------------ */
#define GMAX 4
typedef void (*compressg_fn)(const uint32_t w[][16], uint32_t out[][8]);

static void compress1_portable(const uint32_t w[][16], uint32_t out[][8]) { compress_portable(w[0], out[0]); }

static void derive_blocks(compressg_fn fn, int G, const uint8_t *keys, Py_ssize_t k0, Py_ssize_t k1, const Out *o) {
    uint32_t w[GMAX][16], s[GMAX][8];
    for (Py_ssize_t k = k0; k < k1; k += G) {
        int n = (int)(k1 - k < G ? k1 - k : G), steps = 0;
        int st[GMAX];
        for (int j = 0; j < G; j++) {
            Py_ssize_t kk = k + (j < n ? j : 0); /* spare lanes repeat the first key; their IDs are dropped */
            first_block(keys + 32 * kk, w[j]);
            st[j] = j < n ? steps_of(o, kk) : 0;
            if (st[j] > steps) steps = st[j];
        }
        if (steps == 0) continue;
        fn((const uint32_t(*)[16])w, s);
        for (int j = 0; j < G; j++) {
            for (int t = 9; t < 15; t++) w[j][t] = 0;
            w[j][8] = 0x80000000u;
            w[j][15] = 256;
        }
        for (int i = 0; i < steps; i++) {
            for (int j = 0; j < n; j++)
                if (i < st[j]) emit_words(o, k + j, i, s[j]);
            if (i + 1 < steps) {
                for (int j = 0; j < G; j++) memcpy(w[j], s[j], 32);
                fn((const uint32_t(*)[16])w, s);
            }
        }
    }
}
#ifdef BZ_X86

/* Four chains interleaved: the same rounds as compress2_shani_, twice as many independent instructions in flight. */
__attribute__((target("sha,sse4.1"))) static void compress4_shani(const uint32_t w[][16], uint32_t out[][8]) {
    __m128i m[4][4], s0[4], s1[4], t[4], init0, init1, tmp, k;
    for (int c = 0; c < 4; c++)
        for (int q = 0; q < 4; q++) m[c][q] = _mm_loadu_si128((const __m128i *)(w[c] + 4 * q));
    tmp = _mm_loadu_si128((const __m128i *)&IV[0]);
    init1 = _mm_loadu_si128((const __m128i *)&IV[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);
    init1 = _mm_shuffle_epi32(init1, 0x1B);
    init0 = _mm_alignr_epi8(tmp, init1, 8);
    init1 = _mm_blend_epi16(init1, tmp, 0xF0);
    for (int c = 0; c < 4; c++) { s0[c] = init0; s1[c] = init1; }
#define R4(q, i)                                                                      \
    k = _mm_loadu_si128((const __m128i *)&K256[4 * (i)]);                             \
    for (int c = 0; c < 4; c++) t[c] = _mm_add_epi32(m[c][q], k);                     \
    for (int c = 0; c < 4; c++) s1[c] = _mm_sha256rnds2_epu32(s1[c], s0[c], t[c]);    \
    for (int c = 0; c < 4; c++) t[c] = _mm_shuffle_epi32(t[c], 0x0E);                 \
    for (int c = 0; c < 4; c++) s0[c] = _mm_sha256rnds2_epu32(s0[c], s1[c], t[c]);
#define S4(q0, q1, q2, q3)                                                                                  \
    for (int c = 0; c < 4; c++)                                                                             \
        m[c][q0] = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(m[c][q0], m[c][q1]),             \
                                                      _mm_alignr_epi8(m[c][q3], m[c][q2], 4)), m[c][q3]);
    R4(0, 0) R4(1, 1) R4(2, 2) R4(3, 3)
#pragma GCC unroll 12
    for (int i = 4; i < 16; i++) {
        int q0 = i & 3, q1 = (i + 1) & 3, q2 = (i + 2) & 3, q3 = (i + 3) & 3;
        S4(q0, q1, q2, q3)
        R4(q0, i)
    }
#undef R4
#undef S4
    for (int c = 0; c < 4; c++) {
        __m128i a = _mm_add_epi32(s0[c], init0), b = _mm_add_epi32(s1[c], init1);
        tmp = _mm_shuffle_epi32(a, 0x1B);
        b = _mm_shuffle_epi32(b, 0xB1);
        _mm_storeu_si128((__m128i *)(out[c] + 0), _mm_blend_epi16(tmp, b, 0xF0));
        _mm_storeu_si128((__m128i *)(out[c] + 4), _mm_alignr_epi8(b, tmp, 8));
    }
}

static void compress2_shani(const uint32_t w[][16], uint32_t out[][8]) { compress2_shani_(w[0], w[1], out[0], out[1]); }

/* ---- AVX-512: 16 chains, one per 32-bit lane ------------------------------------------------------------ */
#define V __m512i
#define VROR(x, n) _mm512_ror_epi32((x), (n))
#define VXOR3(x, y, z) _mm512_ternarylogic_epi32((x), (y), (z), 0x96)
#define VCH(e, f, g) _mm512_ternarylogic_epi32((e), (f), (g), 0xCA)
#define VMAJ(a, b, c) _mm512_ternarylogic_epi32((a), (b), (c), 0xE8)
#define VADD(x, y) _mm512_add_epi32((x), (y))

/* one compression from the IV of 16 lanes' message words W[0..15]; digest words to s[0..7]. Written out
 * round by round with named variables (generated), so the compiler keeps the 16 message words and the 8
 * state words in the 32 vector registers instead of an array in memory. */
#define VRND(a, b, c, d, e, f, g, h, i, w)                                                         \
    do {                                                                                          \
        V t1_ = VADD(VADD(h, VXOR3(VROR(e, 6), VROR(e, 11), VROR(e, 25))),                        \
                     VADD(VCH(e, f, g), VADD(_mm512_set1_epi32((int)K256[i]), w)));                 \
        V t2_ = VADD(VXOR3(VROR(a, 2), VROR(a, 13), VROR(a, 22)), VMAJ(a, b, c));                  \
        d = VADD(d, t1_);                                                                         \
        h = VADD(t1_, t2_);                                                                       \
    } while (0)
#define VSCH(w0, w1, w9, w14)                                                                     \
    w0 = VADD(VADD(w0, VXOR3(VROR(w1, 7), VROR(w1, 18), _mm512_srli_epi32(w1, 3))),                \
              VADD(w9, VXOR3(VROR(w14, 17), VROR(w14, 19), _mm512_srli_epi32(w14, 10))))
__attribute__((target("avx512f"))) static inline void compress16(V W[16], V s[8]) {
    V w0 = W[0], w1 = W[1], w2 = W[2], w3 = W[3], w4 = W[4], w5 = W[5], w6 = W[6], w7 = W[7], w8 = W[8], w9 = W[9], w10 = W[10], w11 = W[11], w12 = W[12], w13 = W[13], w14 = W[14], w15 = W[15];
    V a = _mm512_set1_epi32((int)IV[0]), b = _mm512_set1_epi32((int)IV[1]), c = _mm512_set1_epi32((int)IV[2]),
      d = _mm512_set1_epi32((int)IV[3]), e = _mm512_set1_epi32((int)IV[4]), f = _mm512_set1_epi32((int)IV[5]),
      g = _mm512_set1_epi32((int)IV[6]), h = _mm512_set1_epi32((int)IV[7]);
    VRND(a, b, c, d, e, f, g, h, 0, w0);
    VRND(h, a, b, c, d, e, f, g, 1, w1);
    VRND(g, h, a, b, c, d, e, f, 2, w2);
    VRND(f, g, h, a, b, c, d, e, 3, w3);
    VRND(e, f, g, h, a, b, c, d, 4, w4);
    VRND(d, e, f, g, h, a, b, c, 5, w5);
    VRND(c, d, e, f, g, h, a, b, 6, w6);
    VRND(b, c, d, e, f, g, h, a, 7, w7);
    VRND(a, b, c, d, e, f, g, h, 8, w8);
    VRND(h, a, b, c, d, e, f, g, 9, w9);
    VRND(g, h, a, b, c, d, e, f, 10, w10);
    VRND(f, g, h, a, b, c, d, e, 11, w11);
    VRND(e, f, g, h, a, b, c, d, 12, w12);
    VRND(d, e, f, g, h, a, b, c, 13, w13);
    VRND(c, d, e, f, g, h, a, b, 14, w14);
    VRND(b, c, d, e, f, g, h, a, 15, w15);
    VSCH(w0, w1, w9, w14);
    VRND(a, b, c, d, e, f, g, h, 16, w0);
    VSCH(w1, w2, w10, w15);
    VRND(h, a, b, c, d, e, f, g, 17, w1);
    VSCH(w2, w3, w11, w0);
    VRND(g, h, a, b, c, d, e, f, 18, w2);
    VSCH(w3, w4, w12, w1);
    VRND(f, g, h, a, b, c, d, e, 19, w3);
    VSCH(w4, w5, w13, w2);
    VRND(e, f, g, h, a, b, c, d, 20, w4);
    VSCH(w5, w6, w14, w3);
    VRND(d, e, f, g, h, a, b, c, 21, w5);
    VSCH(w6, w7, w15, w4);
    VRND(c, d, e, f, g, h, a, b, 22, w6);
    VSCH(w7, w8, w0, w5);
    VRND(b, c, d, e, f, g, h, a, 23, w7);
    VSCH(w8, w9, w1, w6);
    VRND(a, b, c, d, e, f, g, h, 24, w8);
    VSCH(w9, w10, w2, w7);
    VRND(h, a, b, c, d, e, f, g, 25, w9);
    VSCH(w10, w11, w3, w8);
    VRND(g, h, a, b, c, d, e, f, 26, w10);
    VSCH(w11, w12, w4, w9);
    VRND(f, g, h, a, b, c, d, e, 27, w11);
    VSCH(w12, w13, w5, w10);
    VRND(e, f, g, h, a, b, c, d, 28, w12);
    VSCH(w13, w14, w6, w11);
    VRND(d, e, f, g, h, a, b, c, 29, w13);
    VSCH(w14, w15, w7, w12);
    VRND(c, d, e, f, g, h, a, b, 30, w14);
    VSCH(w15, w0, w8, w13);
    VRND(b, c, d, e, f, g, h, a, 31, w15);
    VSCH(w0, w1, w9, w14);
    VRND(a, b, c, d, e, f, g, h, 32, w0);
    VSCH(w1, w2, w10, w15);
    VRND(h, a, b, c, d, e, f, g, 33, w1);
    VSCH(w2, w3, w11, w0);
    VRND(g, h, a, b, c, d, e, f, 34, w2);
    VSCH(w3, w4, w12, w1);
    VRND(f, g, h, a, b, c, d, e, 35, w3);
    VSCH(w4, w5, w13, w2);
    VRND(e, f, g, h, a, b, c, d, 36, w4);
    VSCH(w5, w6, w14, w3);
    VRND(d, e, f, g, h, a, b, c, 37, w5);
    VSCH(w6, w7, w15, w4);
    VRND(c, d, e, f, g, h, a, b, 38, w6);
    VSCH(w7, w8, w0, w5);
    VRND(b, c, d, e, f, g, h, a, 39, w7);
    VSCH(w8, w9, w1, w6);
    VRND(a, b, c, d, e, f, g, h, 40, w8);
    VSCH(w9, w10, w2, w7);
    VRND(h, a, b, c, d, e, f, g, 41, w9);
    VSCH(w10, w11, w3, w8);
    VRND(g, h, a, b, c, d, e, f, 42, w10);
    VSCH(w11, w12, w4, w9);
    VRND(f, g, h, a, b, c, d, e, 43, w11);
    VSCH(w12, w13, w5, w10);
    VRND(e, f, g, h, a, b, c, d, 44, w12);
    VSCH(w13, w14, w6, w11);
    VRND(d, e, f, g, h, a, b, c, 45, w13);
    VSCH(w14, w15, w7, w12);
    VRND(c, d, e, f, g, h, a, b, 46, w14);
    VSCH(w15, w0, w8, w13);
    VRND(b, c, d, e, f, g, h, a, 47, w15);
    VSCH(w0, w1, w9, w14);
    VRND(a, b, c, d, e, f, g, h, 48, w0);
    VSCH(w1, w2, w10, w15);
    VRND(h, a, b, c, d, e, f, g, 49, w1);
    VSCH(w2, w3, w11, w0);
    VRND(g, h, a, b, c, d, e, f, 50, w2);
    VSCH(w3, w4, w12, w1);
    VRND(f, g, h, a, b, c, d, e, 51, w3);
    VSCH(w4, w5, w13, w2);
    VRND(e, f, g, h, a, b, c, d, 52, w4);
    VSCH(w5, w6, w14, w3);
    VRND(d, e, f, g, h, a, b, c, 53, w5);
    VSCH(w6, w7, w15, w4);
    VRND(c, d, e, f, g, h, a, b, 54, w6);
    VSCH(w7, w8, w0, w5);
    VRND(b, c, d, e, f, g, h, a, 55, w7);
    VSCH(w8, w9, w1, w6);
    VRND(a, b, c, d, e, f, g, h, 56, w8);
    VSCH(w9, w10, w2, w7);
    VRND(h, a, b, c, d, e, f, g, 57, w9);
    VSCH(w10, w11, w3, w8);
    VRND(g, h, a, b, c, d, e, f, 58, w10);
    VSCH(w11, w12, w4, w9);
    VRND(f, g, h, a, b, c, d, e, 59, w11);
    VSCH(w12, w13, w5, w10);
    VRND(e, f, g, h, a, b, c, d, 60, w12);
    VSCH(w13, w14, w6, w11);
    VRND(d, e, f, g, h, a, b, c, 61, w13);
    VSCH(w14, w15, w7, w12);
    VRND(c, d, e, f, g, h, a, b, 62, w14);
    VSCH(w15, w0, w8, w13);
    VRND(b, c, d, e, f, g, h, a, 63, w15);
    s[0] = VADD(a, _mm512_set1_epi32((int)IV[0])); s[1] = VADD(b, _mm512_set1_epi32((int)IV[1]));
    s[2] = VADD(c, _mm512_set1_epi32((int)IV[2])); s[3] = VADD(d, _mm512_set1_epi32((int)IV[3]));
    s[4] = VADD(e, _mm512_set1_epi32((int)IV[4])); s[5] = VADD(f, _mm512_set1_epi32((int)IV[5]));
    s[6] = VADD(g, _mm512_set1_epi32((int)IV[6])); s[7] = VADD(h, _mm512_set1_epi32((int)IV[7]));
}
#undef VRND
#undef VSCH


__attribute__((target("avx512f"))) static void derive_avx512(const uint8_t *keys, Py_ssize_t k0, Py_ssize_t k1,
                                                            const Out *o) {
    static const uint32_t pad[8] = {0x80000000u, 0, 0, 0, 0, 0, 0, 256};
    uint32_t w0[16][16] __attribute__((aligned(64)));
    uint32_t up[16] __attribute__((aligned(64))), low[16] __attribute__((aligned(64))),
        lo[16] __attribute__((aligned(64)));
    const V m8 = _mm512_set1_epi32((int)0xff000000u), m16 = _mm512_set1_epi32(0xff0000), m24 = _mm512_set1_epi32(0xff00),
            m32 = _mm512_set1_epi32(0xff);
    for (Py_ssize_t k = k0; k < k1; k += 16) {
        int n = (int)(k1 - k < 16 ? k1 - k : 16), steps = 0, st[16];
        for (int j = 0; j < 16; j++) { /* first block of each lane, transposed: word t of lane j at w0[t][j] */
            uint32_t blk[16];
            Py_ssize_t kk = k + (j < n ? j : 0);
            first_block(keys + 32 * kk, blk);
            for (int t = 0; t < 16; t++) w0[t][j] = blk[t];
            st[j] = j < n ? steps_of(o, kk) : 0;
            if (st[j] > steps) steps = st[j];
        }
        if (steps == 0) continue;
        V W[16], s[8];
        for (int t = 0; t < 16; t++) W[t] = _mm512_load_si512((const void *)w0[t]);
        compress16(W, s);
        for (int i = 0; i < steps; i++) {
            V vup = _mm512_or_si512(_mm512_or_si512(_mm512_and_si512(s[0], m8),
                                                    _mm512_and_si512(_mm512_srli_epi32(s[1], 8), m16)),
                                    _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(s[2], 16), m24),
                                                    _mm512_srli_epi32(s[3], 24)));
            V vlow = _mm512_or_si512(_mm512_or_si512(_mm512_and_si512(s[4], m8),
                                                     _mm512_and_si512(_mm512_slli_epi32(s[4], 8), m16)),
                                     _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(s[5], 16), m24),
                                                     _mm512_and_si512(_mm512_srli_epi32(s[5], 8), m32)));
            V vlo = _mm512_or_si512(_mm512_or_si512(_mm512_and_si512(s[6], m8),
                                                    _mm512_and_si512(_mm512_slli_epi32(s[6], 8), m16)),
                                    _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(s[7], 16), m24),
                                                    _mm512_and_si512(_mm512_srli_epi32(s[7], 8), m32)));
            _mm512_store_si512((void *)up, vup);
            _mm512_store_si512((void *)low, vlow);
            _mm512_store_si512((void *)lo, vlo);
            for (int j = 0; j < n; j++)
                if (i < st[j]) emit(o, k + j, i, up[j], low[j], lo[j]);
            if (i + 1 < steps) {
                for (int t = 0; t < 8; t++) W[t] = s[t];
                for (int t = 0; t < 8; t++) W[8 + t] = _mm512_set1_epi32((int)pad[t]);
                compress16(W, s);
            }
        }
    }
}

static int cpu_has_avx512(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return 0;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    if (!((b >> 16) & 1)) return 0; /* AVX512F */
    unsigned int lo_, hi_;
    __asm__ volatile("xgetbv" : "=a"(lo_), "=d"(hi_) : "c"(0));
    return (lo_ & 0xe6) == 0xe6; /* the OS saves SSE, AVX, opmask and ZMM state */
}
#endif /* BZ_X86 */

/* ---- backends, dispatch --------------------------------------------------------------------------------- */
enum { B_PORTABLE, B_SHANI2, B_SHANI4, B_AVX512, B_COUNT };
static const char *const B_NAMES[B_COUNT] = {"portable", "sha-ni-2", "sha-ni-4", "avx512"};
static int b_have[B_COUNT] = {1, 0, 0, 0};
static int b_best = B_PORTABLE;

static void run_backend(int b, const uint8_t *keys, Py_ssize_t k0, Py_ssize_t k1, const Out *o) {
    switch (b) {
#ifdef BZ_X86
    case B_AVX512: derive_avx512(keys, k0, k1, o); return;
    case B_SHANI4: derive_blocks(compress4_shani, 4, keys, k0, k1, o); return;
    case B_SHANI2: derive_blocks(compress2_shani, 2, keys, k0, k1, o); return;
#endif
    default: derive_blocks(compress1_portable, 1, keys, k0, k1, o); return;
    }
}

static int pick_backend(PyObject *name) {
    if (name == NULL || name == Py_None) return b_best;
    const char *s = PyUnicode_AsUTF8(name);
    if (s == NULL) return -1;
    for (int b = 0; b < B_COUNT; b++)
        if (strcmp(s, B_NAMES[b]) == 0) {
            if (!b_have[b]) {
                PyErr_Format(PyExc_ValueError, "backend %s is not available on this CPU", s);
                return -1;
            }
            return b;
        }
    PyErr_Format(PyExc_ValueError, "unknown backend %s", s);
    return -1;
}

static int check_args(Py_buffer *keys, int slots) {
    if (keys->len % 32 != 0) {
        PyErr_SetString(PyExc_ValueError, "keys must be a concatenation of 32-byte daily keys");
        return -1;
    }
    if (slots < 1 || slots > 86400) {
        PyErr_SetString(PyExc_ValueError, "slots must be 1..86400");
        return -1;
    }
    return 0;
}

static PyObject *py_derive(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"keys", "slots", "portable", "backend", NULL};
    Py_buffer keys;
    int slots, portable = 0;
    PyObject *bname = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "y*i|pO", kwlist, &keys, &slots, &portable, &bname)) return NULL;
    int b = portable ? B_PORTABLE : pick_backend(bname);
    if (b < 0 || check_args(&keys, slots) < 0) {
        PyBuffer_Release(&keys);
        return NULL;
    }
    Py_ssize_t nkeys = keys.len / 32;
    PyObject *res = PyBytes_FromStringAndSize(NULL, nkeys * slots * 12);
    Py_ssize_t *off = PyMem_RawMalloc(sizeof(Py_ssize_t) * (nkeys + 1));
    if (res == NULL || off == NULL) {
        Py_XDECREF(res);
        PyMem_RawFree(off);
        PyBuffer_Release(&keys);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t k = 0; k <= nkeys; k++) off[k] = k * slots;
    Out o = {(uint8_t *)PyBytes_AS_STRING(res), NULL, NULL, NULL, NULL, off, NULL, slots, 0, 0, 0, 0};
    Py_BEGIN_ALLOW_THREADS
    run_backend(b, (const uint8_t *)keys.buf, 0, nkeys, &o);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(off);
    PyBuffer_Release(&keys);
    return res;
}

static PyObject *py_derive_columns(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"keys", "slots", "valid", "backend", "kd0", NULL};
    Py_buffer keys, valid = {0};
    int slots, have_valid = 0, kd0 = 0;
    PyObject *vobj = NULL, *bname = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "y*i|OOi", kwlist, &keys, &slots, &vobj, &bname, &kd0)) return NULL;
    int b = pick_backend(bname);
    if (b < 0 || check_args(&keys, slots) < 0) {
        PyBuffer_Release(&keys);
        return NULL;
    }
    Py_ssize_t nkeys = keys.len / 32;
    if (vobj != NULL && vobj != Py_None) {
        if (PyObject_GetBuffer(vobj, &valid, PyBUF_C_CONTIGUOUS) < 0) {
            PyBuffer_Release(&keys);
            return NULL;
        }
        have_valid = 1;
        if (valid.len != nkeys * 4) {
            PyBuffer_Release(&valid);
            PyBuffer_Release(&keys);
            PyErr_SetString(PyExc_ValueError, "valid must hold one int32 per key");
            return NULL;
        }
    }
    Py_ssize_t *off = PyMem_RawMalloc(sizeof(Py_ssize_t) * (nkeys + 1));
    if (off == NULL) {
        if (have_valid) PyBuffer_Release(&valid);
        PyBuffer_Release(&keys);
        return PyErr_NoMemory();
    }
    Out o = {NULL, NULL, NULL, NULL, NULL, off, have_valid ? (const int32_t *)valid.buf : NULL, slots, kd0, 0, 1, 0};
    off[0] = 0;
    for (Py_ssize_t k = 0; k < nkeys; k++) off[k + 1] = off[k] + steps_of(&o, k);
    Py_ssize_t n = off[nkeys];
    PyObject *hi = PyBytes_FromStringAndSize(NULL, n * 8), *lo = PyBytes_FromStringAndSize(NULL, n * 4),
             *kd = PyBytes_FromStringAndSize(NULL, n * 4), *sl = PyBytes_FromStringAndSize(NULL, n * 4);
    PyObject *res = NULL;
    if (hi && lo && kd && sl) {
        o.hi = (int64_t *)PyBytes_AS_STRING(hi);
        o.lo = (int32_t *)PyBytes_AS_STRING(lo);
        o.kd = (int32_t *)PyBytes_AS_STRING(kd);
        o.slot = (int32_t *)PyBytes_AS_STRING(sl);
        Py_BEGIN_ALLOW_THREADS
        run_backend(b, (const uint8_t *)keys.buf, 0, nkeys, &o);
        Py_END_ALLOW_THREADS
        res = PyTuple_Pack(4, hi, lo, kd, sl);
    }
    Py_XDECREF(hi);
    Py_XDECREF(lo);
    Py_XDECREF(kd);
    Py_XDECREF(sl);
    PyMem_RawFree(off);
    if (have_valid) PyBuffer_Release(&valid);
    PyBuffer_Release(&keys);
    return res;
}

/* bench(backend, nkeys, slots): the same chains with no output written (the multi-buffer bound of the path);
 * returns the CPU-independent part of the work done: the number of compressions. Time it from Python. */
static PyObject *py_bench(PyObject *self, PyObject *args) {
    PyObject *bname;
    Py_ssize_t nkeys;
    int slots;
    if (!PyArg_ParseTuple(args, "Oni", &bname, &nkeys, &slots)) return NULL;
    int b = pick_backend(bname);
    if (b < 0) return NULL;
    if (nkeys < 0 || slots < 1 || slots > 86400) {
        PyErr_SetString(PyExc_ValueError, "nkeys >= 0, slots 1..86400");
        return NULL;
    }
    uint8_t *keys = PyMem_RawMalloc((size_t)nkeys * 32 + 1);
    if (keys == NULL) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < nkeys * 32; i++) keys[i] = (uint8_t)(i * 131 + 7);
    Out o = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, slots, 0, 0, 0, 0};
    Py_BEGIN_ALLOW_THREADS
    run_backend(b, keys, 0, nkeys, &o);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(keys);
    return Py_BuildValue("(nI)", nkeys * (Py_ssize_t)slots, o.sink);
}

static PyObject *py_backend(PyObject *self, PyObject *unused) { return PyUnicode_FromString(B_NAMES[b_best]); }

static PyObject *py_backends(PyObject *self, PyObject *unused) {
    PyObject *l = PyList_New(0);
    for (int b = 0; l && b < B_COUNT; b++)
        if (b_have[b]) {
            PyObject *s = PyUnicode_FromString(B_NAMES[b]);
            if (s == NULL || PyList_Append(l, s) < 0) {
                Py_XDECREF(s);
                Py_DECREF(l);
                return NULL;
            }
            Py_DECREF(s);
        }
    return l;
}

static PyMethodDef methods[] = {
    {"derive", (PyCFunction)(void (*)(void))py_derive, METH_VARARGS | METH_KEYWORDS,
     "derive(keys, slots, portable=False, backend=None) -> bytes: the first `slots` 12-byte IDs of each 32-byte "
     "key, concatenated"},
    {"derive_columns", (PyCFunction)(void (*)(void))py_derive_columns, METH_VARARGS | METH_KEYWORDS,
     "derive_columns(keys, slots, valid=None, backend=None) -> (hi, lo, kd, slot) as bytes of int64/int32"},
    {"backend", py_backend, METH_NOARGS, "backend() -> the path derive() uses by default on this CPU"},
    {"backends", py_backends, METH_NOARGS, "backends() -> every path this CPU can run"},
    {"bench", py_bench, METH_VARARGS, "bench(backend, nkeys, slots) -> (compressions, checksum): the chains alone"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "_sha_kernel",
                                    "Bluezone ID derivation (multi-buffer SHA-256 chains) in C", -1, methods};

PyMODINIT_FUNC PyInit__sha_kernel(void) {
#ifdef BZ_X86
    if (cpu_has_sha()) {
        b_have[B_SHANI2] = b_have[B_SHANI4] = 1;
        b_best = B_SHANI4;
    }
    if (cpu_has_avx512()) {
        b_have[B_AVX512] = 1;
        b_best = B_AVX512;
    }
#endif
    return PyModule_Create(&moddef);
}
