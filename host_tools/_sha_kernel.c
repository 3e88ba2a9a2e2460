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
/* ---- SHA-NI: N chains interleaved, the state kept in registers from step to step --------------------------
 * sha256rnds2 does two rounds on the state in the ABEF/CDGH layout, its message words (W+K) in xmm0. On Zen 4 it
 * has a latency of 4 cycles and a throughput of one a cycle (measured: bench_match prints it), so one chain (32
 * dependent rnds2 a block) leaves the unit idle 3 cycles in 4: N >= 4 independent chains keep it busy, at 32
 * cycles a block. Only xmm0-xmm15 can hold SHA operands (legacy encoding), so the message words of the chains
 * that do not fit stay in memory (L1), loaded as the rounds need them.
 * A chain step's block is the previous digest (words 0-7) and constant padding (words 8-15), so the rounds 8-15
 * (W+K) and the parts of the message schedule that only read words 8-15 are constants (Pad, per kind of block:
 * the first block K || "bluzonesubkey" has other constant words 8-15 than a chain step's). The digest becomes the
 * next block's words 0-7 with two shuffles and two unpacks (no trip through memory, no byte swap: both are 32-bit
 * words), and the ID is cut out of it with two pshufb. */
#define SHA_T __attribute__((target("sha,sse4.1,ssse3")))
/* the same code where AVX-512VL exists: the compiler then keeps values that are not SHA operands in xmm16-31
 * (EVEX-encoded) instead of spilling them to the stack */
#define SHA_TV __attribute__((target("sha,sse4.1,ssse3,avx512f,avx512vl")))
#define SHA_N_MAX 8

typedef struct {
    __m128i wk2, wk3;  /* W+K of rounds 8-11 and 12-15 */
    __m128i m2, m3;    /* words 8-11, 12-15 */
    __m128i al32;      /* alignr(m3, m2, 4): the W[t-7] term of group 4 */
    __m128i s1_23;     /* msg1(m2, m3): the sigma0 term of group 6 */
} ShaPad;

SHA_T static void sha_pad(const uint32_t w8[8], ShaPad *p) {
    p->m2 = _mm_loadu_si128((const __m128i *)w8);
    p->m3 = _mm_loadu_si128((const __m128i *)(w8 + 4));
    p->wk2 = _mm_add_epi32(p->m2, _mm_loadu_si128((const __m128i *)&K256[8]));
    p->wk3 = _mm_add_epi32(p->m3, _mm_loadu_si128((const __m128i *)&K256[12]));
    p->al32 = _mm_alignr_epi8(p->m3, p->m2, 4);
    p->s1_23 = _mm_sha256msg1_epu32(p->m2, p->m3);
}

/* one compression from the IV for each of N chains: message words 0-3 in x0[c], 4-7 in x1[c] (words 8-15: p);
 * the digest (IV added) to a[c] (ABEF), b[c] (CDGH). */
#define SHA_RND(c, WK)                                                            \
    do {                                                                          \
        __m128i w_ = (WK);                                                        \
        b[c] = _mm_sha256rnds2_epu32(b[c], a[c], w_);                             \
        a[c] = _mm_sha256rnds2_epu32(a[c], b[c], _mm_shuffle_epi32(w_, 0x0E));    \
    } while (0)
#define SHA_KV(g) _mm_load_si128((const __m128i *)&K256A[4 * (g)])
static const uint32_t K256A[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

SHA_T static inline __attribute__((always_inline)) void sha_compress(const int N, __m128i *a, __m128i *b,
                                                                     __m128i (*x)[SHA_N_MAX], const ShaPad *p,
                                                                     __m128i iv0, __m128i iv1) {
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) { a[c] = iv0; b[c] = iv1; }
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) SHA_RND(c, _mm_add_epi32(x[0][c], SHA_KV(0)));
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) SHA_RND(c, _mm_add_epi32(x[1][c], SHA_KV(1)));
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) SHA_RND(c, p->wk2);
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) SHA_RND(c, p->wk3);
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) { /* group 4: words 16-19 */
        x[0][c] = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(x[0][c], x[1][c]), p->al32), p->m3);
        SHA_RND(c, _mm_add_epi32(x[0][c], SHA_KV(4)));
    }
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) { /* group 5 */
        x[1][c] = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(x[1][c], p->m2),
                                                     _mm_alignr_epi8(x[0][c], p->m3, 4)), x[0][c]);
        SHA_RND(c, _mm_add_epi32(x[1][c], SHA_KV(5)));
    }
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) { /* group 6 */
        x[2][c] = _mm_sha256msg2_epu32(_mm_add_epi32(p->s1_23, _mm_alignr_epi8(x[1][c], x[0][c], 4)), x[1][c]);
        SHA_RND(c, _mm_add_epi32(x[2][c], SHA_KV(6)));
    }
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) { /* group 7 */
        x[3][c] = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(p->m3, x[0][c]),
                                                     _mm_alignr_epi8(x[2][c], x[1][c], 4)), x[2][c]);
        SHA_RND(c, _mm_add_epi32(x[3][c], SHA_KV(7)));
    }
#pragma GCC unroll 8
    for (int g = 8; g < 16; g++) {
        const int q0 = g & 3, q1 = (g + 1) & 3, q2 = (g + 2) & 3, q3 = (g + 3) & 3;
#pragma GCC unroll 8
        for (int c = 0; c < N; c++) {
            x[q0][c] = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(x[q0][c], x[q1][c]),
                                                          _mm_alignr_epi8(x[q3][c], x[q2][c], 4)), x[q3][c]);
            SHA_RND(c, _mm_add_epi32(x[q0][c], SHA_KV(g)));
        }
    }
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) { a[c] = _mm_add_epi32(a[c], iv0); b[c] = _mm_add_epi32(b[c], iv1); }
}
#undef SHA_RND

/* the ID of a digest in ABEF/CDGH: bytes 0,4,8,12 = top bytes of A,B,C,D; 16,18,...,30 = bytes 0 and 2 of E..H.
 * ID order (derive): ID0..ID11; column order (hi int64 = ID bytes 0-7 big-endian, lo int32 = 8-11), as the
 * little-endian bytes of hi then lo: ID7..ID0, ID11..ID8. In ABEF the bytes of F are 0-3, E 4-7, B 8-11, A 12-15
 * (CDGH likewise: H, G, D, C). */
#define Z (char)0x80
static const char SHUF_ID_A[16] = {15, 11, Z, Z, 7, 5, 3, 1, Z, Z, Z, Z, Z, Z, Z, Z};
static const char SHUF_ID_B[16] = {Z, Z, 15, 11, Z, Z, Z, Z, 7, 5, 3, 1, Z, Z, Z, Z};
static const char SHUF_COL_A[16] = {1, 3, 5, 7, Z, Z, 11, 15, Z, Z, Z, Z, Z, Z, Z, Z};
static const char SHUF_COL_B[16] = {Z, Z, Z, Z, 11, 15, Z, Z, 1, 3, 5, 7, Z, Z, Z, Z};
#undef Z
static const char SHUF_BSWAP[16] = {3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12};

static uint32_t PAD_FIRST[8]; /* words 8-15 of K || "bluzonesubkey" || padding (set at import) */
static const uint32_t PAD_CHAIN[8] = {0x80000000u, 0, 0, 0, 0, 0, 0, 256};

SHA_T static inline __attribute__((always_inline)) void derive_shani_n(const int N, const uint8_t *keys,
                                                                       Py_ssize_t k0, Py_ssize_t k1, Out *o) {
    ShaPad p1, p2;
    sha_pad(PAD_FIRST, &p1);
    sha_pad(PAD_CHAIN, &p2);
    const __m128i bswap = _mm_loadu_si128((const __m128i *)SHUF_BSWAP);
    __m128i iv0, iv1, t;
    t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&IV[0]), 0xB1);
    iv1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&IV[4]), 0x1B);
    iv0 = _mm_alignr_epi8(t, iv1, 8);    /* ABEF */
    iv1 = _mm_blend_epi16(iv1, t, 0xF0); /* CDGH */
    const int cols = o->ids == NULL;
    const __m128i sha = _mm_loadu_si128((const __m128i *)(cols ? SHUF_COL_A : SHUF_ID_A)),
                  shb = _mm_loadu_si128((const __m128i *)(cols ? SHUF_COL_B : SHUF_ID_B));
    __m128i sink = _mm_setzero_si128();
    int64_t *const hi = o->hi;
    int32_t *const lo = o->lo, *const kd = o->kd, *const slot = o->slot, kd0 = o->kd0;
    Py_ssize_t pos = o->pos;
    __m128i a[SHA_N_MAX], b[SHA_N_MAX], x[4][SHA_N_MAX];
    for (Py_ssize_t k = k0; k < k1; k += N) {
        int n = (int)(k1 - k < N ? k1 - k : N), steps = 0, st[SHA_N_MAX];
#pragma GCC unroll 8
        for (int c = 0; c < N; c++) {
            Py_ssize_t kk = k + (c < n ? c : 0); /* spare chains repeat the first key; their IDs are dropped */
            x[0][c] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(keys + 32 * kk)), bswap);
            x[1][c] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(keys + 32 * kk + 16)), bswap);
            st[c] = c < n ? steps_of(o, kk) : 0;
            if (st[c] > steps) steps = st[c];
        }
        if (steps == 0) continue;
        sha_compress(N, a, b, x, &p1, iv0, iv1);
        for (int i = 0;; i++) {
            if (o->off == NULL) { /* bench(): the chains alone */
#pragma GCC unroll 8
                for (int c = 0; c < N; c++) sink = _mm_xor_si128(sink, a[c]);
            } else {
#pragma GCC unroll 8
                for (int c = 0; c < N; c++) {
                    if (i >= st[c]) continue;
                    __m128i v = _mm_or_si128(_mm_shuffle_epi8(a[c], sha), _mm_shuffle_epi8(b[c], shb));
                    if (cols) {
                        Py_ssize_t r = pos++;
                        _mm_storel_epi64((__m128i *)(hi + r), v);
                        lo[r] = _mm_extract_epi32(v, 2);
                        kd[r] = kd0 + (int32_t)(k + c);
                        slot[r] = i;
                    } else {
                        uint8_t *id = o->ids + 12 * (o->off[k + c] + i);
                        _mm_storel_epi64((__m128i *)id, v);
                        uint32_t w2 = (uint32_t)_mm_extract_epi32(v, 2);
                        memcpy(id + 8, &w2, 4);
                    }
                }
            }
            if (i + 1 >= steps) break;
#pragma GCC unroll 8
            for (int c = 0; c < N; c++) { /* digest words A..H = next block's words 0..7 */
                __m128i u = _mm_shuffle_epi32(a[c], 0x1B), v = _mm_shuffle_epi32(b[c], 0x1B); /* ABEF->(A,B,E,F) */
                x[0][c] = _mm_unpacklo_epi64(u, v);
                x[1][c] = _mm_unpackhi_epi64(u, v);
            }
            sha_compress(N, a, b, x, &p2, iv0, iv1);
        }
    }
    o->pos = pos;
    o->sink ^= (uint32_t)_mm_cvtsi128_si32(sink);
}

SHA_T static void derive_shani2(const uint8_t *keys, Py_ssize_t k0, Py_ssize_t k1, Out *o) {
    derive_shani_n(2, keys, k0, k1, o);
}
SHA_T static void derive_shani4(const uint8_t *keys, Py_ssize_t k0, Py_ssize_t k1, Out *o) {
    derive_shani_n(4, keys, k0, k1, o);
}
SHA_TV static void derive_shani4_vl(const uint8_t *keys, Py_ssize_t k0, Py_ssize_t k1, Out *o) {
    derive_shani_n(4, keys, k0, k1, o);
}
SHA_TV static void derive_shani6_vl(const uint8_t *keys, Py_ssize_t k0, Py_ssize_t k1, Out *o) {
    derive_shani_n(6, keys, k0, k1, o);
}

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

static int cpu_has_avx512vl(void) { /* after cpu_has_avx512() */
    unsigned int a, b, c, d;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 31) & 1;
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
enum { B_PORTABLE, B_SHANI2, B_SHANI4, B_SHANI4VL, B_SHANI6VL, B_AVX512, B_COUNT };
static const char *const B_NAMES[B_COUNT] = {"portable", "sha-ni-2", "sha-ni-4", "sha-ni-4-vl", "sha-ni-6-vl",
                                             "avx512"};
static int b_have[B_COUNT] = {1, 0, 0, 0, 0, 0};
static int b_best = B_PORTABLE;
/* slowest first (backends() lists them so); the fastest the CPU has is the default (measured on Zen 4 by
 * bench_match). sha-ni-N-vl: the SHA-NI code compiled for AVX-512VL's 32 vector registers (fewer spills; -vl
 * paths need AVX-512VL, the others SHA-NI and SSE4.1 only). */
static const int B_ORDER[B_COUNT] = {B_PORTABLE, B_SHANI2, B_AVX512, B_SHANI6VL, B_SHANI4, B_SHANI4VL};

static void run_backend(int b, const uint8_t *keys, Py_ssize_t k0, Py_ssize_t k1, const Out *o) {
    switch (b) {
#ifdef BZ_X86
    case B_AVX512: derive_avx512(keys, k0, k1, o); return;
    case B_SHANI4VL: derive_shani4_vl(keys, k0, k1, (Out *)o); return;
    case B_SHANI6VL: derive_shani6_vl(keys, k0, k1, (Out *)o); return;
    case B_SHANI4: derive_shani4(keys, k0, k1, (Out *)o); return;
    case B_SHANI2: derive_shani2(keys, k0, k1, (Out *)o); return;
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

/* derive_columns(keys, slots, valid=None, backend=None, kd0=0, out=None): with out = (hi, lo, kd, slot), four
 * writable C-contiguous buffers of int64/int32 with room for every row, the rows are written there (no other
 * copy: the caller's numpy columns) and their number is returned; without it, four new bytes objects. */
static int get_out(PyObject *out, Py_buffer bufs[4], Py_ssize_t n) {
    if (!PyTuple_Check(out) || PyTuple_GET_SIZE(out) != 4) {
        PyErr_SetString(PyExc_TypeError, "out must be a tuple (hi, lo, kd, slot)");
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(out, i), &bufs[i], PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
            while (i-- > 0) PyBuffer_Release(&bufs[i]);
            return -1;
        }
    }
    for (int i = 0; i < 4; i++)
        if (bufs[i].len < n * (i == 0 ? 8 : 4)) {
            for (int j = 0; j < 4; j++) PyBuffer_Release(&bufs[j]);
            PyErr_Format(PyExc_ValueError, "out[%d] has room for fewer than %zd rows", i, n);
            return -1;
        }
    return 0;
}

static PyObject *py_derive_columns(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"keys", "slots", "valid", "backend", "kd0", "out", NULL};
    Py_buffer keys, valid = {0}, ob[4];
    int slots, have_valid = 0, kd0 = 0;
    PyObject *vobj = NULL, *bname = NULL, *out = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "y*i|OOiO", kwlist, &keys, &slots, &vobj, &bname, &kd0, &out))
        return NULL;
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
    Out o = {NULL, NULL, NULL, NULL, NULL, NULL, have_valid ? (const int32_t *)valid.buf : NULL, slots, kd0, 0, 1, 0};
    Py_ssize_t n = 0;
    for (Py_ssize_t k = 0; k < nkeys; k++) n += steps_of(&o, k);
    PyObject *hi = NULL, *lo = NULL, *kd = NULL, *sl = NULL, *res = NULL;
    static const Py_ssize_t seq_rows[1] = {0}; /* columns: rows in the order computed (o.seq), no offsets */
    o.off = seq_rows;
    if (out != NULL && out != Py_None) {
        if (get_out(out, ob, n) == 0) {
            o.hi = (int64_t *)ob[0].buf;
            o.lo = (int32_t *)ob[1].buf;
            o.kd = (int32_t *)ob[2].buf;
            o.slot = (int32_t *)ob[3].buf;
            Py_BEGIN_ALLOW_THREADS
            run_backend(b, (const uint8_t *)keys.buf, 0, nkeys, &o);
            Py_END_ALLOW_THREADS
            for (int i = 0; i < 4; i++) PyBuffer_Release(&ob[i]);
            res = PyLong_FromSsize_t(n);
        }
    } else {
        hi = PyBytes_FromStringAndSize(NULL, n * 8), lo = PyBytes_FromStringAndSize(NULL, n * 4),
        kd = PyBytes_FromStringAndSize(NULL, n * 4), sl = PyBytes_FromStringAndSize(NULL, n * 4);
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
    }
    Py_XDECREF(hi);
    Py_XDECREF(lo);
    Py_XDECREF(kd);
    Py_XDECREF(sl);
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
    for (int i = 0; l && i < B_COUNT; i++) {
        int b = B_ORDER[i];
        if (b_have[b]) {
            PyObject *s = PyUnicode_FromString(B_NAMES[b]);
            if (s == NULL || PyList_Append(l, s) < 0) {
                Py_XDECREF(s);
                Py_DECREF(l);
                return NULL;
            }
            Py_DECREF(s);
        }
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
    {
        uint32_t w[16];
        first_block((const uint8_t *)"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", w);
        memcpy(PAD_FIRST, w + 8, sizeof PAD_FIRST);
    }
    int avx512 = cpu_has_avx512(), sha = cpu_has_sha();
    b_have[B_AVX512] = avx512;
    b_have[B_SHANI2] = b_have[B_SHANI4] = sha;
    b_have[B_SHANI4VL] = b_have[B_SHANI6VL] = sha && avx512 && cpu_has_avx512vl();
    for (int i = 0; i < B_COUNT; i++)
        if (b_have[B_ORDER[i]]) b_best = B_ORDER[i];
#endif
    return PyModule_Create(&moddef);
}
