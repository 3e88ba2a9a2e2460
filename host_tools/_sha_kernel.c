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
#include <time.h>

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

/* ---- AVX-512: 16 chains, one per 32-bit lane ------------------------------------------------------------
 * A software SHA-256 in vector instructions (vprord rotations, vpternlogd for Ch, Maj and three-way XOR). The
 * compressions are written out operation by operation by tools/gen_sha_avx512.py, with every constant folded
 * (words 8-15 of both kinds of block are constants). The digest of one step is the next block's words 0-7 as
 * it is (16 lanes of 32-bit words: no transposition between steps); the IDs of 16 lanes are cut out with
 * vpshufb and interleaved into the matcher's columns with vpermt2d, 5 stores for 16 IDs. */
#define V __m512i
#define VROR(x, n) _mm512_ror_epi32((x), (n))
#define VADD(x, y) _mm512_add_epi32((x), (y))
/* x + the constant k in every lane, the constant read from memory by the add itself ({1to16}: no register
 * holds it, no broadcast instruction) */
#define VADDK(x, k)                                                                               \
    __extension__({                                                                               \
        static const uint32_t k_ = (k);                                                           \
        V r_;                                                                                     \
        __asm__("vpaddd %2%{1to16%}, %1, %0" : "=v"(r_) : "v"(x), "m"(k_));                       \
        r_;                                                                                       \
    })

/* GENERATED by tools/gen_sha_avx512.py: do not edit by hand */
#define AVX512_CHAIN_OPS 1540
#define AVX512_CHAIN_ADDS 566
#define AVX512_CHAIN_ROTATES 636
#define AVX512_CHAIN_TERNLOGS 338
/* 1545 vector operations for 16 blocks (571 add, 636 rotate/shift, 338 ternlog) */
__attribute__((target("avx512f"))) static inline __attribute__((always_inline)) void
c16_first(const V w[8], V s[8]) {
    const V t1 = VADDK(w[0], 0x98c7e2a2u);
    const V t2 = _mm512_ternarylogic_epi32(t1, _mm512_set1_epi32((int)0x510e527fu), _mm512_set1_epi32((int)0x9b05688cu), 0xCA);
    const V t3 = VROR(t1, 6);
    const V t4 = VROR(t1, 11);
    const V t5 = VROR(t1, 25);
    const V t6 = _mm512_ternarylogic_epi32(t3, t4, t5, 0x96);
    const V t7 = VADD(t6, t2);
    const V t8 = VADDK(t7, 0x90bb1e3cu);
    const V t9 = VADD(w[1], t8);
    const V t10 = VADDK(w[0], 0xfc08884du);
    const V t11 = _mm512_ternarylogic_epi32(t10, _mm512_set1_epi32((int)0x6a09e667u), _mm512_set1_epi32((int)0xbb67ae85u), 0xE8);
    const V t12 = VROR(t10, 2);
    const V t13 = VROR(t10, 13);
    const V t14 = VROR(t10, 22);
    const V t15 = _mm512_ternarylogic_epi32(t12, t13, t14, 0x96);
    const V t16 = VADD(t15, t11);
    const V t17 = VADD(t9, t16);
    const V t18 = VADDK(t9, 0x3c6ef372u);
    const V t19 = _mm512_ternarylogic_epi32(t18, t1, _mm512_set1_epi32((int)0x510e527fu), 0xCA);
    const V t20 = VROR(t18, 6);
    const V t21 = VROR(t18, 11);
    const V t22 = VROR(t18, 25);
    const V t23 = _mm512_ternarylogic_epi32(t20, t21, t22, 0x96);
    const V t24 = VADD(t23, t19);
    const V t25 = VADDK(t24, 0x50c6645bu);
    const V t26 = VADD(w[2], t25);
    const V t27 = _mm512_ternarylogic_epi32(t17, t10, _mm512_set1_epi32((int)0x6a09e667u), 0xE8);
    const V t28 = VROR(t17, 2);
    const V t29 = VROR(t17, 13);
    const V t30 = VROR(t17, 22);
    const V t31 = _mm512_ternarylogic_epi32(t28, t29, t30, 0x96);
    const V t32 = VADD(t31, t27);
    const V t33 = VADD(t26, t32);
    const V t34 = VADDK(t26, 0xbb67ae85u);
    const V t35 = _mm512_ternarylogic_epi32(t1, t34, t18, 0xB8);
    const V t36 = VROR(t34, 6);
    const V t37 = VROR(t34, 11);
    const V t38 = VROR(t34, 25);
    const V t39 = _mm512_ternarylogic_epi32(t36, t37, t38, 0x96);
    const V t40 = VADD(t39, t35);
    const V t41 = VADDK(t40, 0x3ac42e24u);
    const V t42 = VADD(w[3], t41);
    const V t43 = _mm512_ternarylogic_epi32(t10, t33, t17, 0xE8);
    const V t44 = VROR(t33, 2);
    const V t45 = VROR(t33, 13);
    const V t46 = VROR(t33, 22);
    const V t47 = _mm512_ternarylogic_epi32(t44, t45, t46, 0x96);
    const V t48 = VADD(t47, t43);
    const V t49 = VADD(t42, t48);
    const V t50 = VADDK(t42, 0x6a09e667u);
    const V t51 = _mm512_ternarylogic_epi32(t18, t50, t34, 0xB8);
    const V t52 = VADDK(w[4], 0xd21ea4fdu);
    const V t53 = VADD(w[0], t52);
    const V t54 = VROR(t50, 6);
    const V t55 = VROR(t50, 11);
    const V t56 = VROR(t50, 25);
    const V t57 = _mm512_ternarylogic_epi32(t54, t55, t56, 0x96);
    const V t58 = VADD(t57, t51);
    const V t59 = VADD(t53, t58);
    const V t60 = _mm512_ternarylogic_epi32(t49, t33, t17, 0xE8);
    const V t61 = VROR(t49, 2);
    const V t62 = VROR(t49, 13);
    const V t63 = VROR(t49, 22);
    const V t64 = _mm512_ternarylogic_epi32(t61, t62, t63, 0x96);
    const V t65 = VADD(t64, t60);
    const V t66 = VADD(t59, t65);
    const V t67 = VADDK(t59, 0xfc08884du);
    const V t68 = VADD(w[0], t67);
    const V t69 = _mm512_ternarylogic_epi32(t34, t68, t50, 0xB8);
    const V t70 = VADDK(w[5], 0x96600563u);
    const V t71 = VADD(t9, t70);
    const V t72 = VROR(t68, 6);
    const V t73 = VROR(t68, 11);
    const V t74 = VROR(t68, 25);
    const V t75 = _mm512_ternarylogic_epi32(t72, t73, t74, 0x96);
    const V t76 = VADD(t75, t69);
    const V t77 = VADD(t71, t76);
    const V t78 = _mm512_ternarylogic_epi32(t66, t49, t33, 0xE8);
    const V t79 = VROR(t66, 2);
    const V t80 = VROR(t66, 13);
    const V t81 = VROR(t66, 22);
    const V t82 = _mm512_ternarylogic_epi32(t79, t80, t81, 0x96);
    const V t83 = VADD(t82, t78);
    const V t84 = VADD(t77, t83);
    const V t85 = VADD(t17, t77);
    const V t86 = _mm512_ternarylogic_epi32(t50, t85, t68, 0xB8);
    const V t87 = VADDK(w[6], 0x4da73129u);
    const V t88 = VADD(t26, t87);
    const V t89 = VROR(t85, 6);
    const V t90 = VROR(t85, 11);
    const V t91 = VROR(t85, 25);
    const V t92 = _mm512_ternarylogic_epi32(t89, t90, t91, 0x96);
    const V t93 = VADD(t92, t86);
    const V t94 = VADD(t88, t93);
    const V t95 = _mm512_ternarylogic_epi32(t84, t66, t49, 0xE8);
    const V t96 = VROR(t84, 2);
    const V t97 = VROR(t84, 13);
    const V t98 = VROR(t84, 22);
    const V t99 = _mm512_ternarylogic_epi32(t96, t97, t98, 0x96);
    const V t100 = VADD(t99, t95);
    const V t101 = VADD(t94, t100);
    const V t102 = VADD(t33, t94);
    const V t103 = _mm512_ternarylogic_epi32(t102, t85, t68, 0xCA);
    const V t104 = VADDK(w[7], 0x1526453cu);
    const V t105 = VADD(t42, t104);
    const V t106 = VROR(t102, 6);
    const V t107 = VROR(t102, 11);
    const V t108 = VROR(t102, 25);
    const V t109 = _mm512_ternarylogic_epi32(t106, t107, t108, 0x96);
    const V t110 = VADD(t109, t103);
    const V t111 = VADD(t105, t110);
    const V t112 = _mm512_ternarylogic_epi32(t101, t84, t66, 0xE8);
    const V t113 = VROR(t101, 2);
    const V t114 = VROR(t101, 13);
    const V t115 = VROR(t101, 22);
    const V t116 = _mm512_ternarylogic_epi32(t113, t114, t115, 0x96);
    const V t117 = VADD(t116, t112);
    const V t118 = VADD(t111, t117);
    const V t119 = VADD(t49, t111);
    const V t120 = _mm512_ternarylogic_epi32(t119, t102, t85, 0xCA);
    const V t121 = VROR(t119, 6);
    const V t122 = VROR(t119, 11);
    const V t123 = VROR(t119, 25);
    const V t124 = _mm512_ternarylogic_epi32(t121, t122, t123, 0x96);
    const V t125 = VADD(t124, t120);
    const V t126 = VADDK(t125, 0x3a742012u);
    const V t127 = VADD(t68, t126);
    const V t128 = _mm512_ternarylogic_epi32(t118, t101, t84, 0xE8);
    const V t129 = VROR(t118, 2);
    const V t130 = VROR(t118, 13);
    const V t131 = VROR(t118, 22);
    const V t132 = _mm512_ternarylogic_epi32(t129, t130, t131, 0x96);
    const V t133 = VADD(t132, t128);
    const V t134 = VADD(t127, t133);
    const V t135 = VADD(t66, t127);
    const V t136 = _mm512_ternarylogic_epi32(t135, t119, t102, 0xCA);
    const V t137 = VROR(t135, 6);
    const V t138 = VROR(t135, 11);
    const V t139 = VROR(t135, 25);
    const V t140 = _mm512_ternarylogic_epi32(t137, t138, t139, 0x96);
    const V t141 = VADD(t140, t136);
    const V t142 = VADDK(t141, 0x81f1c074u);
    const V t143 = VADD(t85, t142);
    const V t144 = _mm512_ternarylogic_epi32(t134, t118, t101, 0xE8);
    const V t145 = VROR(t134, 2);
    const V t146 = VROR(t134, 13);
    const V t147 = VROR(t134, 22);
    const V t148 = _mm512_ternarylogic_epi32(t145, t146, t147, 0x96);
    const V t149 = VADD(t148, t144);
    const V t150 = VADD(t143, t149);
    const V t151 = VADD(t84, t143);
    const V t152 = _mm512_ternarylogic_epi32(t151, t135, t119, 0xCA);
    const V t153 = VROR(t151, 6);
    const V t154 = VROR(t151, 11);
    const V t155 = VROR(t151, 25);
    const V t156 = _mm512_ternarylogic_epi32(t153, t154, t155, 0x96);
    const V t157 = VADD(t156, t152);
    const V t158 = VADDK(t157, 0x9993f123u);
    const V t159 = VADD(t102, t158);
    const V t160 = _mm512_ternarylogic_epi32(t150, t134, t118, 0xE8);
    const V t161 = VROR(t150, 2);
    const V t162 = VROR(t150, 13);
    const V t163 = VROR(t150, 22);
    const V t164 = _mm512_ternarylogic_epi32(t161, t162, t163, 0x96);
    const V t165 = VADD(t164, t160);
    const V t166 = VADD(t159, t165);
    const V t167 = VADD(t101, t159);
    const V t168 = _mm512_ternarylogic_epi32(t167, t151, t135, 0xCA);
    const V t169 = VROR(t167, 6);
    const V t170 = VROR(t167, 11);
    const V t171 = VROR(t167, 25);
    const V t172 = _mm512_ternarylogic_epi32(t169, t170, t171, 0x96);
    const V t173 = VADD(t172, t168);
    const V t174 = VADDK(t173, 0xce8c7dc3u);
    const V t175 = VADD(t119, t174);
    const V t176 = _mm512_ternarylogic_epi32(t166, t150, t134, 0xE8);
    const V t177 = VROR(t166, 2);
    const V t178 = VROR(t166, 13);
    const V t179 = VROR(t166, 22);
    const V t180 = _mm512_ternarylogic_epi32(t177, t178, t179, 0x96);
    const V t181 = VADD(t180, t176);
    const V t182 = VADD(t175, t181);
    const V t183 = VADD(t118, t175);
    const V t184 = _mm512_ternarylogic_epi32(t183, t167, t151, 0xCA);
    const V t185 = VROR(t183, 6);
    const V t186 = VROR(t183, 11);
    const V t187 = VROR(t183, 25);
    const V t188 = _mm512_ternarylogic_epi32(t185, t186, t187, 0x96);
    const V t189 = VADD(t188, t184);
    const V t190 = VADDK(t189, 0x72be5d74u);
    const V t191 = VADD(t135, t190);
    const V t192 = _mm512_ternarylogic_epi32(t182, t166, t150, 0xE8);
    const V t193 = VROR(t182, 2);
    const V t194 = VROR(t182, 13);
    const V t195 = VROR(t182, 22);
    const V t196 = _mm512_ternarylogic_epi32(t193, t194, t195, 0x96);
    const V t197 = VADD(t196, t192);
    const V t198 = VADD(t191, t197);
    const V t199 = VADD(t134, t191);
    const V t200 = _mm512_ternarylogic_epi32(t199, t183, t167, 0xCA);
    const V t201 = VROR(t199, 6);
    const V t202 = VROR(t199, 11);
    const V t203 = VROR(t199, 25);
    const V t204 = _mm512_ternarylogic_epi32(t201, t202, t203, 0x96);
    const V t205 = VADD(t204, t200);
    const V t206 = VADDK(t205, 0x80deb1feu);
    const V t207 = VADD(t151, t206);
    const V t208 = _mm512_ternarylogic_epi32(t198, t182, t166, 0xE8);
    const V t209 = VROR(t198, 2);
    const V t210 = VROR(t198, 13);
    const V t211 = VROR(t198, 22);
    const V t212 = _mm512_ternarylogic_epi32(t209, t210, t211, 0x96);
    const V t213 = VADD(t212, t208);
    const V t214 = VADD(t207, t213);
    const V t215 = VADD(t150, t207);
    const V t216 = _mm512_ternarylogic_epi32(t215, t199, t183, 0xCA);
    const V t217 = VROR(t215, 6);
    const V t218 = VROR(t215, 11);
    const V t219 = VROR(t215, 25);
    const V t220 = _mm512_ternarylogic_epi32(t217, t218, t219, 0x96);
    const V t221 = VADD(t220, t216);
    const V t222 = VADDK(t221, 0x9bdc06a7u);
    const V t223 = VADD(t167, t222);
    const V t224 = _mm512_ternarylogic_epi32(t214, t198, t182, 0xE8);
    const V t225 = VROR(t214, 2);
    const V t226 = VROR(t214, 13);
    const V t227 = VROR(t214, 22);
    const V t228 = _mm512_ternarylogic_epi32(t225, t226, t227, 0x96);
    const V t229 = VADD(t228, t224);
    const V t230 = VADD(t223, t229);
    const V t231 = VADD(t166, t223);
    const V t232 = _mm512_ternarylogic_epi32(t231, t215, t199, 0xCA);
    const V t233 = VROR(t231, 6);
    const V t234 = VROR(t231, 11);
    const V t235 = VROR(t231, 25);
    const V t236 = _mm512_ternarylogic_epi32(t233, t234, t235, 0x96);
    const V t237 = VADD(t236, t232);
    const V t238 = VADDK(t237, 0xc19bf2dcu);
    const V t239 = VADD(t183, t238);
    const V t240 = _mm512_ternarylogic_epi32(t230, t214, t198, 0xE8);
    const V t241 = VROR(t230, 2);
    const V t242 = VROR(t230, 13);
    const V t243 = VROR(t230, 22);
    const V t244 = _mm512_ternarylogic_epi32(t241, t242, t243, 0x96);
    const V t245 = VADD(t244, t240);
    const V t246 = VADD(t239, t245);
    const V t247 = VADD(t182, t239);
    const V t248 = VROR(w[1], 7);
    const V t249 = VROR(w[1], 18);
    const V t250 = _mm512_srli_epi32(w[1], 3);
    const V t251 = _mm512_ternarylogic_epi32(t248, t249, t250, 0x96);
    const V t252 = VADDK(w[0], 0x6f6e6573u);
    const V t253 = VADD(t251, t252);
    const V t254 = _mm512_ternarylogic_epi32(t247, t231, t215, 0xCA);
    const V t255 = VADDK(t253, 0xe49b69c1u);
    const V t256 = VADD(t199, t255);
    const V t257 = VROR(t247, 6);
    const V t258 = VROR(t247, 11);
    const V t259 = VROR(t247, 25);
    const V t260 = _mm512_ternarylogic_epi32(t257, t258, t259, 0x96);
    const V t261 = VADD(t260, t254);
    const V t262 = VADD(t256, t261);
    const V t263 = _mm512_ternarylogic_epi32(t246, t230, t214, 0xE8);
    const V t264 = VROR(t246, 2);
    const V t265 = VROR(t246, 13);
    const V t266 = VROR(t246, 22);
    const V t267 = _mm512_ternarylogic_epi32(t264, t265, t266, 0x96);
    const V t268 = VADD(t267, t263);
    const V t269 = VADD(t262, t268);
    const V t270 = VADD(t198, t262);
    const V t271 = VROR(w[2], 7);
    const V t272 = VROR(w[2], 18);
    const V t273 = _mm512_srli_epi32(w[2], 3);
    const V t274 = _mm512_ternarylogic_epi32(t271, t272, t273, 0x96);
    const V t275 = VADDK(w[1], 0x75fb6b65u);
    const V t276 = VADD(t274, t275);
    const V t277 = _mm512_ternarylogic_epi32(t270, t247, t231, 0xCA);
    const V t278 = VADDK(t276, 0xefbe4786u);
    const V t279 = VADD(t215, t278);
    const V t280 = VROR(t270, 6);
    const V t281 = VROR(t270, 11);
    const V t282 = VROR(t270, 25);
    const V t283 = _mm512_ternarylogic_epi32(t280, t281, t282, 0x96);
    const V t284 = VADD(t283, t277);
    const V t285 = VADD(t279, t284);
    const V t286 = _mm512_ternarylogic_epi32(t269, t246, t230, 0xE8);
    const V t287 = VROR(t269, 2);
    const V t288 = VROR(t269, 13);
    const V t289 = VROR(t269, 22);
    const V t290 = _mm512_ternarylogic_epi32(t287, t288, t289, 0x96);
    const V t291 = VADD(t290, t286);
    const V t292 = VADD(t285, t291);
    const V t293 = VADD(t214, t285);
    const V t294 = VROR(t253, 17);
    const V t295 = VROR(t253, 19);
    const V t296 = _mm512_srli_epi32(t253, 10);
    const V t297 = _mm512_ternarylogic_epi32(t294, t295, t296, 0x96);
    const V t298 = VROR(w[3], 7);
    const V t299 = VROR(w[3], 18);
    const V t300 = _mm512_srli_epi32(w[3], 3);
    const V t301 = _mm512_ternarylogic_epi32(t298, t299, t300, 0x96);
    const V t302 = VADDK(w[2], 0x79800000u);
    const V t303 = VADD(t297, t301);
    const V t304 = VADD(t303, t302);
    const V t305 = _mm512_ternarylogic_epi32(t293, t270, t247, 0xCA);
    const V t306 = VADDK(t304, 0x0fc19dc6u);
    const V t307 = VADD(t231, t306);
    const V t308 = VROR(t293, 6);
    const V t309 = VROR(t293, 11);
    const V t310 = VROR(t293, 25);
    const V t311 = _mm512_ternarylogic_epi32(t308, t309, t310, 0x96);
    const V t312 = VADD(t311, t305);
    const V t313 = VADD(t307, t312);
    const V t314 = _mm512_ternarylogic_epi32(t292, t269, t246, 0xE8);
    const V t315 = VROR(t292, 2);
    const V t316 = VROR(t292, 13);
    const V t317 = VROR(t292, 22);
    const V t318 = _mm512_ternarylogic_epi32(t315, t316, t317, 0x96);
    const V t319 = VADD(t318, t314);
    const V t320 = VADD(t313, t319);
    const V t321 = VADD(t230, t313);
    const V t322 = VROR(t276, 17);
    const V t323 = VROR(t276, 19);
    const V t324 = _mm512_srli_epi32(t276, 10);
    const V t325 = _mm512_ternarylogic_epi32(t322, t323, t324, 0x96);
    const V t326 = VROR(w[4], 7);
    const V t327 = VROR(w[4], 18);
    const V t328 = _mm512_srli_epi32(w[4], 3);
    const V t329 = _mm512_ternarylogic_epi32(t326, t327, t328, 0x96);
    const V t330 = VADD(t325, t329);
    const V t331 = VADD(t330, w[3]);
    const V t332 = _mm512_ternarylogic_epi32(t321, t293, t270, 0xCA);
    const V t333 = VADDK(t331, 0x240ca1ccu);
    const V t334 = VADD(t247, t333);
    const V t335 = VROR(t321, 6);
    const V t336 = VROR(t321, 11);
    const V t337 = VROR(t321, 25);
    const V t338 = _mm512_ternarylogic_epi32(t335, t336, t337, 0x96);
    const V t339 = VADD(t338, t332);
    const V t340 = VADD(t334, t339);
    const V t341 = _mm512_ternarylogic_epi32(t320, t292, t269, 0xE8);
    const V t342 = VROR(t320, 2);
    const V t343 = VROR(t320, 13);
    const V t344 = VROR(t320, 22);
    const V t345 = _mm512_ternarylogic_epi32(t342, t343, t344, 0x96);
    const V t346 = VADD(t345, t341);
    const V t347 = VADD(t340, t346);
    const V t348 = VADD(t246, t340);
    const V t349 = VROR(t304, 17);
    const V t350 = VROR(t304, 19);
    const V t351 = _mm512_srli_epi32(t304, 10);
    const V t352 = _mm512_ternarylogic_epi32(t349, t350, t351, 0x96);
    const V t353 = VROR(w[5], 7);
    const V t354 = VROR(w[5], 18);
    const V t355 = _mm512_srli_epi32(w[5], 3);
    const V t356 = _mm512_ternarylogic_epi32(t353, t354, t355, 0x96);
    const V t357 = VADD(t352, t356);
    const V t358 = VADD(t357, w[4]);
    const V t359 = _mm512_ternarylogic_epi32(t348, t321, t293, 0xCA);
    const V t360 = VADDK(t358, 0x2de92c6fu);
    const V t361 = VADD(t270, t360);
    const V t362 = VROR(t348, 6);
    const V t363 = VROR(t348, 11);
    const V t364 = VROR(t348, 25);
    const V t365 = _mm512_ternarylogic_epi32(t362, t363, t364, 0x96);
    const V t366 = VADD(t365, t359);
    const V t367 = VADD(t361, t366);
    const V t368 = _mm512_ternarylogic_epi32(t347, t320, t292, 0xE8);
    const V t369 = VROR(t347, 2);
    const V t370 = VROR(t347, 13);
    const V t371 = VROR(t347, 22);
    const V t372 = _mm512_ternarylogic_epi32(t369, t370, t371, 0x96);
    const V t373 = VADD(t372, t368);
    const V t374 = VADD(t367, t373);
    const V t375 = VADD(t269, t367);
    const V t376 = VROR(t331, 17);
    const V t377 = VROR(t331, 19);
    const V t378 = _mm512_srli_epi32(t331, 10);
    const V t379 = _mm512_ternarylogic_epi32(t376, t377, t378, 0x96);
    const V t380 = VROR(w[6], 7);
    const V t381 = VROR(w[6], 18);
    const V t382 = _mm512_srli_epi32(w[6], 3);
    const V t383 = _mm512_ternarylogic_epi32(t380, t381, t382, 0x96);
    const V t384 = VADD(t379, t383);
    const V t385 = VADD(t384, w[5]);
    const V t386 = _mm512_ternarylogic_epi32(t375, t348, t321, 0xCA);
    const V t387 = VADDK(t385, 0x4a7484aau);
    const V t388 = VADD(t293, t387);
    const V t389 = VROR(t375, 6);
    const V t390 = VROR(t375, 11);
    const V t391 = VROR(t375, 25);
    const V t392 = _mm512_ternarylogic_epi32(t389, t390, t391, 0x96);
    const V t393 = VADD(t392, t386);
    const V t394 = VADD(t388, t393);
    const V t395 = _mm512_ternarylogic_epi32(t374, t347, t320, 0xE8);
    const V t396 = VROR(t374, 2);
    const V t397 = VROR(t374, 13);
    const V t398 = VROR(t374, 22);
    const V t399 = _mm512_ternarylogic_epi32(t396, t397, t398, 0x96);
    const V t400 = VADD(t399, t395);
    const V t401 = VADD(t394, t400);
    const V t402 = VADD(t292, t394);
    const V t403 = VROR(t358, 17);
    const V t404 = VROR(t358, 19);
    const V t405 = _mm512_srli_epi32(t358, 10);
    const V t406 = _mm512_ternarylogic_epi32(t403, t404, t405, 0x96);
    const V t407 = VROR(w[7], 7);
    const V t408 = VROR(w[7], 18);
    const V t409 = _mm512_srli_epi32(w[7], 3);
    const V t410 = _mm512_ternarylogic_epi32(t407, t408, t409, 0x96);
    const V t411 = VADDK(w[6], 0x00000168u);
    const V t412 = VADD(t406, t410);
    const V t413 = VADD(t412, t411);
    const V t414 = _mm512_ternarylogic_epi32(t402, t375, t348, 0xCA);
    const V t415 = VADDK(t413, 0x5cb0a9dcu);
    const V t416 = VADD(t321, t415);
    const V t417 = VROR(t402, 6);
    const V t418 = VROR(t402, 11);
    const V t419 = VROR(t402, 25);
    const V t420 = _mm512_ternarylogic_epi32(t417, t418, t419, 0x96);
    const V t421 = VADD(t420, t414);
    const V t422 = VADD(t416, t421);
    const V t423 = _mm512_ternarylogic_epi32(t401, t374, t347, 0xE8);
    const V t424 = VROR(t401, 2);
    const V t425 = VROR(t401, 13);
    const V t426 = VROR(t401, 22);
    const V t427 = _mm512_ternarylogic_epi32(t424, t425, t426, 0x96);
    const V t428 = VADD(t427, t423);
    const V t429 = VADD(t422, t428);
    const V t430 = VADD(t320, t422);
    const V t431 = VROR(t385, 17);
    const V t432 = VROR(t385, 19);
    const V t433 = _mm512_srli_epi32(t385, 10);
    const V t434 = _mm512_ternarylogic_epi32(t431, t432, t433, 0x96);
    const V t435 = VADDK(w[7], 0xe5d7cedeu);
    const V t436 = VADD(t434, t253);
    const V t437 = VADD(t436, t435);
    const V t438 = _mm512_ternarylogic_epi32(t430, t402, t375, 0xCA);
    const V t439 = VADDK(t437, 0x76f988dau);
    const V t440 = VADD(t348, t439);
    const V t441 = VROR(t430, 6);
    const V t442 = VROR(t430, 11);
    const V t443 = VROR(t430, 25);
    const V t444 = _mm512_ternarylogic_epi32(t441, t442, t443, 0x96);
    const V t445 = VADD(t444, t438);
    const V t446 = VADD(t440, t445);
    const V t447 = _mm512_ternarylogic_epi32(t429, t401, t374, 0xE8);
    const V t448 = VROR(t429, 2);
    const V t449 = VROR(t429, 13);
    const V t450 = VROR(t429, 22);
    const V t451 = _mm512_ternarylogic_epi32(t448, t449, t450, 0x96);
    const V t452 = VADD(t451, t447);
    const V t453 = VADD(t446, t452);
    const V t454 = VADD(t347, t446);
    const V t455 = VROR(t413, 17);
    const V t456 = VROR(t413, 19);
    const V t457 = _mm512_srli_epi32(t413, 10);
    const V t458 = _mm512_ternarylogic_epi32(t455, t456, t457, 0x96);
    const V t459 = VADDK(t276, 0xd4dc4139u);
    const V t460 = VADD(t458, t459);
    const V t461 = _mm512_ternarylogic_epi32(t454, t430, t402, 0xCA);
    const V t462 = VADDK(t460, 0x983e5152u);
    const V t463 = VADD(t375, t462);
    const V t464 = VROR(t454, 6);
    const V t465 = VROR(t454, 11);
    const V t466 = VROR(t454, 25);
    const V t467 = _mm512_ternarylogic_epi32(t464, t465, t466, 0x96);
    const V t468 = VADD(t467, t461);
    const V t469 = VADD(t463, t468);
    const V t470 = _mm512_ternarylogic_epi32(t453, t429, t401, 0xE8);
    const V t471 = VROR(t453, 2);
    const V t472 = VROR(t453, 13);
    const V t473 = VROR(t453, 22);
    const V t474 = _mm512_ternarylogic_epi32(t471, t472, t473, 0x96);
    const V t475 = VADD(t474, t470);
    const V t476 = VADD(t469, t475);
    const V t477 = VADD(t374, t469);
    const V t478 = VROR(t437, 17);
    const V t479 = VROR(t437, 19);
    const V t480 = _mm512_srli_epi32(t437, 10);
    const V t481 = _mm512_ternarylogic_epi32(t478, t479, t480, 0x96);
    const V t482 = VADDK(t304, 0xce0e3a55u);
    const V t483 = VADD(t481, t482);
    const V t484 = _mm512_ternarylogic_epi32(t477, t454, t430, 0xCA);
    const V t485 = VADDK(t483, 0xa831c66du);
    const V t486 = VADD(t402, t485);
    const V t487 = VROR(t477, 6);
    const V t488 = VROR(t477, 11);
    const V t489 = VROR(t477, 25);
    const V t490 = _mm512_ternarylogic_epi32(t487, t488, t489, 0x96);
    const V t491 = VADD(t490, t484);
    const V t492 = VADD(t486, t491);
    const V t493 = _mm512_ternarylogic_epi32(t476, t453, t429, 0xE8);
    const V t494 = VROR(t476, 2);
    const V t495 = VROR(t476, 13);
    const V t496 = VROR(t476, 22);
    const V t497 = _mm512_ternarylogic_epi32(t494, t495, t496, 0x96);
    const V t498 = VADD(t497, t493);
    const V t499 = VADD(t492, t498);
    const V t500 = VADD(t401, t492);
    const V t501 = VROR(t460, 17);
    const V t502 = VROR(t460, 19);
    const V t503 = _mm512_srli_epi32(t460, 10);
    const V t504 = _mm512_ternarylogic_epi32(t501, t502, t503, 0x96);
    const V t505 = VADDK(t331, 0x852589c5u);
    const V t506 = VADD(t504, t505);
    const V t507 = _mm512_ternarylogic_epi32(t500, t477, t454, 0xCA);
    const V t508 = VADDK(t506, 0xb00327c8u);
    const V t509 = VADD(t430, t508);
    const V t510 = VROR(t500, 6);
    const V t511 = VROR(t500, 11);
    const V t512 = VROR(t500, 25);
    const V t513 = _mm512_ternarylogic_epi32(t510, t511, t512, 0x96);
    const V t514 = VADD(t513, t507);
    const V t515 = VADD(t509, t514);
    const V t516 = _mm512_ternarylogic_epi32(t499, t476, t453, 0xE8);
    const V t517 = VROR(t499, 2);
    const V t518 = VROR(t499, 13);
    const V t519 = VROR(t499, 22);
    const V t520 = _mm512_ternarylogic_epi32(t517, t518, t519, 0x96);
    const V t521 = VADD(t520, t516);
    const V t522 = VADD(t515, t521);
    const V t523 = VADD(t429, t515);
    const V t524 = VROR(t483, 17);
    const V t525 = VROR(t483, 19);
    const V t526 = _mm512_srli_epi32(t483, 10);
    const V t527 = _mm512_ternarylogic_epi32(t524, t525, t526, 0x96);
    const V t528 = VADDK(t358, 0x79800000u);
    const V t529 = VADD(t527, t528);
    const V t530 = _mm512_ternarylogic_epi32(t523, t500, t477, 0xCA);
    const V t531 = VADDK(t529, 0xbf597fc7u);
    const V t532 = VADD(t454, t531);
    const V t533 = VROR(t523, 6);
    const V t534 = VROR(t523, 11);
    const V t535 = VROR(t523, 25);
    const V t536 = _mm512_ternarylogic_epi32(t533, t534, t535, 0x96);
    const V t537 = VADD(t536, t530);
    const V t538 = VADD(t532, t537);
    const V t539 = _mm512_ternarylogic_epi32(t522, t499, t476, 0xE8);
    const V t540 = VROR(t522, 2);
    const V t541 = VROR(t522, 13);
    const V t542 = VROR(t522, 22);
    const V t543 = _mm512_ternarylogic_epi32(t540, t541, t542, 0x96);
    const V t544 = VADD(t543, t539);
    const V t545 = VADD(t538, t544);
    const V t546 = VADD(t453, t538);
    const V t547 = VROR(t506, 17);
    const V t548 = VROR(t506, 19);
    const V t549 = _mm512_srli_epi32(t506, 10);
    const V t550 = _mm512_ternarylogic_epi32(t547, t548, t549, 0x96);
    const V t551 = VADD(t550, t385);
    const V t552 = _mm512_ternarylogic_epi32(t546, t523, t500, 0xCA);
    const V t553 = VADDK(t551, 0xc6e00bf3u);
    const V t554 = VADD(t477, t553);
    const V t555 = VROR(t546, 6);
    const V t556 = VROR(t546, 11);
    const V t557 = VROR(t546, 25);
    const V t558 = _mm512_ternarylogic_epi32(t555, t556, t557, 0x96);
    const V t559 = VADD(t558, t552);
    const V t560 = VADD(t554, t559);
    const V t561 = _mm512_ternarylogic_epi32(t545, t522, t499, 0xE8);
    const V t562 = VROR(t545, 2);
    const V t563 = VROR(t545, 13);
    const V t564 = VROR(t545, 22);
    const V t565 = _mm512_ternarylogic_epi32(t562, t563, t564, 0x96);
    const V t566 = VADD(t565, t561);
    const V t567 = VADD(t560, t566);
    const V t568 = VADD(t476, t560);
    const V t569 = VROR(t529, 17);
    const V t570 = VROR(t529, 19);
    const V t571 = _mm512_srli_epi32(t529, 10);
    const V t572 = _mm512_ternarylogic_epi32(t569, t570, t571, 0x96);
    const V t573 = VADD(t572, t413);
    const V t574 = _mm512_ternarylogic_epi32(t568, t546, t523, 0xCA);
    const V t575 = VADDK(t573, 0xd5a79147u);
    const V t576 = VADD(t500, t575);
    const V t577 = VROR(t568, 6);
    const V t578 = VROR(t568, 11);
    const V t579 = VROR(t568, 25);
    const V t580 = _mm512_ternarylogic_epi32(t577, t578, t579, 0x96);
    const V t581 = VADD(t580, t574);
    const V t582 = VADD(t576, t581);
    const V t583 = _mm512_ternarylogic_epi32(t567, t545, t522, 0xE8);
    const V t584 = VROR(t567, 2);
    const V t585 = VROR(t567, 13);
    const V t586 = VROR(t567, 22);
    const V t587 = _mm512_ternarylogic_epi32(t584, t585, t586, 0x96);
    const V t588 = VADD(t587, t583);
    const V t589 = VADD(t582, t588);
    const V t590 = VADD(t499, t582);
    const V t591 = VROR(t551, 17);
    const V t592 = VROR(t551, 19);
    const V t593 = _mm512_srli_epi32(t551, 10);
    const V t594 = _mm512_ternarylogic_epi32(t591, t592, t593, 0x96);
    const V t595 = VADDK(t437, 0xd05a002fu);
    const V t596 = VADD(t594, t595);
    const V t597 = _mm512_ternarylogic_epi32(t590, t568, t546, 0xCA);
    const V t598 = VADDK(t596, 0x06ca6351u);
    const V t599 = VADD(t523, t598);
    const V t600 = VROR(t590, 6);
    const V t601 = VROR(t590, 11);
    const V t602 = VROR(t590, 25);
    const V t603 = _mm512_ternarylogic_epi32(t600, t601, t602, 0x96);
    const V t604 = VADD(t603, t597);
    const V t605 = VADD(t599, t604);
    const V t606 = _mm512_ternarylogic_epi32(t589, t567, t545, 0xE8);
    const V t607 = VROR(t589, 2);
    const V t608 = VROR(t589, 13);
    const V t609 = VROR(t589, 22);
    const V t610 = _mm512_ternarylogic_epi32(t607, t608, t609, 0x96);
    const V t611 = VADD(t610, t606);
    const V t612 = VADD(t605, t611);
    const V t613 = VADD(t522, t605);
    const V t614 = VROR(t573, 17);
    const V t615 = VROR(t573, 19);
    const V t616 = _mm512_srli_epi32(t573, 10);
    const V t617 = _mm512_ternarylogic_epi32(t614, t615, t616, 0x96);
    const V t618 = VROR(t253, 7);
    const V t619 = VROR(t253, 18);
    const V t620 = _mm512_srli_epi32(t253, 3);
    const V t621 = _mm512_ternarylogic_epi32(t618, t619, t620, 0x96);
    const V t622 = VADDK(t621, 0x00000168u);
    const V t623 = VADD(t617, t460);
    const V t624 = VADD(t623, t622);
    const V t625 = _mm512_ternarylogic_epi32(t613, t590, t568, 0xCA);
    const V t626 = VADDK(t624, 0x14292967u);
    const V t627 = VADD(t546, t626);
    const V t628 = VROR(t613, 6);
    const V t629 = VROR(t613, 11);
    const V t630 = VROR(t613, 25);
    const V t631 = _mm512_ternarylogic_epi32(t628, t629, t630, 0x96);
    const V t632 = VADD(t631, t625);
    const V t633 = VADD(t627, t632);
    const V t634 = _mm512_ternarylogic_epi32(t612, t589, t567, 0xE8);
    const V t635 = VROR(t612, 2);
    const V t636 = VROR(t612, 13);
    const V t637 = VROR(t612, 22);
    const V t638 = _mm512_ternarylogic_epi32(t635, t636, t637, 0x96);
    const V t639 = VADD(t638, t634);
    const V t640 = VADD(t633, t639);
    const V t641 = VADD(t545, t633);
    const V t642 = VROR(t596, 17);
    const V t643 = VROR(t596, 19);
    const V t644 = _mm512_srli_epi32(t596, 10);
    const V t645 = _mm512_ternarylogic_epi32(t642, t643, t644, 0x96);
    const V t646 = VROR(t276, 7);
    const V t647 = VROR(t276, 18);
    const V t648 = _mm512_srli_epi32(t276, 3);
    const V t649 = _mm512_ternarylogic_epi32(t646, t647, t648, 0x96);
    const V t650 = VADD(t645, t483);
    const V t651 = VADD(t649, t253);
    const V t652 = VADD(t650, t651);
    const V t653 = _mm512_ternarylogic_epi32(t641, t613, t590, 0xCA);
    const V t654 = VADDK(t652, 0x27b70a85u);
    const V t655 = VADD(t568, t654);
    const V t656 = VROR(t641, 6);
    const V t657 = VROR(t641, 11);
    const V t658 = VROR(t641, 25);
    const V t659 = _mm512_ternarylogic_epi32(t656, t657, t658, 0x96);
    const V t660 = VADD(t659, t653);
    const V t661 = VADD(t655, t660);
    const V t662 = _mm512_ternarylogic_epi32(t640, t612, t589, 0xE8);
    const V t663 = VROR(t640, 2);
    const V t664 = VROR(t640, 13);
    const V t665 = VROR(t640, 22);
    const V t666 = _mm512_ternarylogic_epi32(t663, t664, t665, 0x96);
    const V t667 = VADD(t666, t662);
    const V t668 = VADD(t661, t667);
    const V t669 = VADD(t567, t661);
    const V t670 = VROR(t624, 17);
    const V t671 = VROR(t624, 19);
    const V t672 = _mm512_srli_epi32(t624, 10);
    const V t673 = _mm512_ternarylogic_epi32(t670, t671, t672, 0x96);
    const V t674 = VROR(t304, 7);
    const V t675 = VROR(t304, 18);
    const V t676 = _mm512_srli_epi32(t304, 3);
    const V t677 = _mm512_ternarylogic_epi32(t674, t675, t676, 0x96);
    const V t678 = VADD(t673, t506);
    const V t679 = VADD(t677, t276);
    const V t680 = VADD(t678, t679);
    const V t681 = _mm512_ternarylogic_epi32(t669, t641, t613, 0xCA);
    const V t682 = VADDK(t680, 0x2e1b2138u);
    const V t683 = VADD(t590, t682);
    const V t684 = VROR(t669, 6);
    const V t685 = VROR(t669, 11);
    const V t686 = VROR(t669, 25);
    const V t687 = _mm512_ternarylogic_epi32(t684, t685, t686, 0x96);
    const V t688 = VADD(t687, t681);
    const V t689 = VADD(t683, t688);
    const V t690 = _mm512_ternarylogic_epi32(t668, t640, t612, 0xE8);
    const V t691 = VROR(t668, 2);
    const V t692 = VROR(t668, 13);
    const V t693 = VROR(t668, 22);
    const V t694 = _mm512_ternarylogic_epi32(t691, t692, t693, 0x96);
    const V t695 = VADD(t694, t690);
    const V t696 = VADD(t689, t695);
    const V t697 = VADD(t589, t689);
    const V t698 = VROR(t652, 17);
    const V t699 = VROR(t652, 19);
    const V t700 = _mm512_srli_epi32(t652, 10);
    const V t701 = _mm512_ternarylogic_epi32(t698, t699, t700, 0x96);
    const V t702 = VROR(t331, 7);
    const V t703 = VROR(t331, 18);
    const V t704 = _mm512_srli_epi32(t331, 3);
    const V t705 = _mm512_ternarylogic_epi32(t702, t703, t704, 0x96);
    const V t706 = VADD(t701, t529);
    const V t707 = VADD(t705, t304);
    const V t708 = VADD(t706, t707);
    const V t709 = _mm512_ternarylogic_epi32(t697, t669, t641, 0xCA);
    const V t710 = VADDK(t708, 0x4d2c6dfcu);
    const V t711 = VADD(t613, t710);
    const V t712 = VROR(t697, 6);
    const V t713 = VROR(t697, 11);
    const V t714 = VROR(t697, 25);
    const V t715 = _mm512_ternarylogic_epi32(t712, t713, t714, 0x96);
    const V t716 = VADD(t715, t709);
    const V t717 = VADD(t711, t716);
    const V t718 = _mm512_ternarylogic_epi32(t696, t668, t640, 0xE8);
    const V t719 = VROR(t696, 2);
    const V t720 = VROR(t696, 13);
    const V t721 = VROR(t696, 22);
    const V t722 = _mm512_ternarylogic_epi32(t719, t720, t721, 0x96);
    const V t723 = VADD(t722, t718);
    const V t724 = VADD(t717, t723);
    const V t725 = VADD(t612, t717);
    const V t726 = VROR(t680, 17);
    const V t727 = VROR(t680, 19);
    const V t728 = _mm512_srli_epi32(t680, 10);
    const V t729 = _mm512_ternarylogic_epi32(t726, t727, t728, 0x96);
    const V t730 = VROR(t358, 7);
    const V t731 = VROR(t358, 18);
    const V t732 = _mm512_srli_epi32(t358, 3);
    const V t733 = _mm512_ternarylogic_epi32(t730, t731, t732, 0x96);
    const V t734 = VADD(t729, t551);
    const V t735 = VADD(t733, t331);
    const V t736 = VADD(t734, t735);
    const V t737 = _mm512_ternarylogic_epi32(t725, t697, t669, 0xCA);
    const V t738 = VADDK(t736, 0x53380d13u);
    const V t739 = VADD(t641, t738);
    const V t740 = VROR(t725, 6);
    const V t741 = VROR(t725, 11);
    const V t742 = VROR(t725, 25);
    const V t743 = _mm512_ternarylogic_epi32(t740, t741, t742, 0x96);
    const V t744 = VADD(t743, t737);
    const V t745 = VADD(t739, t744);
    const V t746 = _mm512_ternarylogic_epi32(t724, t696, t668, 0xE8);
    const V t747 = VROR(t724, 2);
    const V t748 = VROR(t724, 13);
    const V t749 = VROR(t724, 22);
    const V t750 = _mm512_ternarylogic_epi32(t747, t748, t749, 0x96);
    const V t751 = VADD(t750, t746);
    const V t752 = VADD(t745, t751);
    const V t753 = VADD(t640, t745);
    const V t754 = VROR(t708, 17);
    const V t755 = VROR(t708, 19);
    const V t756 = _mm512_srli_epi32(t708, 10);
    const V t757 = _mm512_ternarylogic_epi32(t754, t755, t756, 0x96);
    const V t758 = VROR(t385, 7);
    const V t759 = VROR(t385, 18);
    const V t760 = _mm512_srli_epi32(t385, 3);
    const V t761 = _mm512_ternarylogic_epi32(t758, t759, t760, 0x96);
    const V t762 = VADD(t757, t573);
    const V t763 = VADD(t761, t358);
    const V t764 = VADD(t762, t763);
    const V t765 = _mm512_ternarylogic_epi32(t753, t725, t697, 0xCA);
    const V t766 = VADDK(t764, 0x650a7354u);
    const V t767 = VADD(t669, t766);
    const V t768 = VROR(t753, 6);
    const V t769 = VROR(t753, 11);
    const V t770 = VROR(t753, 25);
    const V t771 = _mm512_ternarylogic_epi32(t768, t769, t770, 0x96);
    const V t772 = VADD(t771, t765);
    const V t773 = VADD(t767, t772);
    const V t774 = _mm512_ternarylogic_epi32(t752, t724, t696, 0xE8);
    const V t775 = VROR(t752, 2);
    const V t776 = VROR(t752, 13);
    const V t777 = VROR(t752, 22);
    const V t778 = _mm512_ternarylogic_epi32(t775, t776, t777, 0x96);
    const V t779 = VADD(t778, t774);
    const V t780 = VADD(t773, t779);
    const V t781 = VADD(t668, t773);
    const V t782 = VROR(t736, 17);
    const V t783 = VROR(t736, 19);
    const V t784 = _mm512_srli_epi32(t736, 10);
    const V t785 = _mm512_ternarylogic_epi32(t782, t783, t784, 0x96);
    const V t786 = VROR(t413, 7);
    const V t787 = VROR(t413, 18);
    const V t788 = _mm512_srli_epi32(t413, 3);
    const V t789 = _mm512_ternarylogic_epi32(t786, t787, t788, 0x96);
    const V t790 = VADD(t785, t596);
    const V t791 = VADD(t789, t385);
    const V t792 = VADD(t790, t791);
    const V t793 = _mm512_ternarylogic_epi32(t781, t753, t725, 0xCA);
    const V t794 = VADDK(t792, 0x766a0abbu);
    const V t795 = VADD(t697, t794);
    const V t796 = VROR(t781, 6);
    const V t797 = VROR(t781, 11);
    const V t798 = VROR(t781, 25);
    const V t799 = _mm512_ternarylogic_epi32(t796, t797, t798, 0x96);
    const V t800 = VADD(t799, t793);
    const V t801 = VADD(t795, t800);
    const V t802 = _mm512_ternarylogic_epi32(t780, t752, t724, 0xE8);
    const V t803 = VROR(t780, 2);
    const V t804 = VROR(t780, 13);
    const V t805 = VROR(t780, 22);
    const V t806 = _mm512_ternarylogic_epi32(t803, t804, t805, 0x96);
    const V t807 = VADD(t806, t802);
    const V t808 = VADD(t801, t807);
    const V t809 = VADD(t696, t801);
    const V t810 = VROR(t764, 17);
    const V t811 = VROR(t764, 19);
    const V t812 = _mm512_srli_epi32(t764, 10);
    const V t813 = _mm512_ternarylogic_epi32(t810, t811, t812, 0x96);
    const V t814 = VROR(t437, 7);
    const V t815 = VROR(t437, 18);
    const V t816 = _mm512_srli_epi32(t437, 3);
    const V t817 = _mm512_ternarylogic_epi32(t814, t815, t816, 0x96);
    const V t818 = VADD(t813, t624);
    const V t819 = VADD(t817, t413);
    const V t820 = VADD(t818, t819);
    const V t821 = _mm512_ternarylogic_epi32(t809, t781, t753, 0xCA);
    const V t822 = VADDK(t820, 0x81c2c92eu);
    const V t823 = VADD(t725, t822);
    const V t824 = VROR(t809, 6);
    const V t825 = VROR(t809, 11);
    const V t826 = VROR(t809, 25);
    const V t827 = _mm512_ternarylogic_epi32(t824, t825, t826, 0x96);
    const V t828 = VADD(t827, t821);
    const V t829 = VADD(t823, t828);
    const V t830 = _mm512_ternarylogic_epi32(t808, t780, t752, 0xE8);
    const V t831 = VROR(t808, 2);
    const V t832 = VROR(t808, 13);
    const V t833 = VROR(t808, 22);
    const V t834 = _mm512_ternarylogic_epi32(t831, t832, t833, 0x96);
    const V t835 = VADD(t834, t830);
    const V t836 = VADD(t829, t835);
    const V t837 = VADD(t724, t829);
    const V t838 = VROR(t792, 17);
    const V t839 = VROR(t792, 19);
    const V t840 = _mm512_srli_epi32(t792, 10);
    const V t841 = _mm512_ternarylogic_epi32(t838, t839, t840, 0x96);
    const V t842 = VROR(t460, 7);
    const V t843 = VROR(t460, 18);
    const V t844 = _mm512_srli_epi32(t460, 3);
    const V t845 = _mm512_ternarylogic_epi32(t842, t843, t844, 0x96);
    const V t846 = VADD(t841, t652);
    const V t847 = VADD(t845, t437);
    const V t848 = VADD(t846, t847);
    const V t849 = _mm512_ternarylogic_epi32(t837, t809, t781, 0xCA);
    const V t850 = VADDK(t848, 0x92722c85u);
    const V t851 = VADD(t753, t850);
    const V t852 = VROR(t837, 6);
    const V t853 = VROR(t837, 11);
    const V t854 = VROR(t837, 25);
    const V t855 = _mm512_ternarylogic_epi32(t852, t853, t854, 0x96);
    const V t856 = VADD(t855, t849);
    const V t857 = VADD(t851, t856);
    const V t858 = _mm512_ternarylogic_epi32(t836, t808, t780, 0xE8);
    const V t859 = VROR(t836, 2);
    const V t860 = VROR(t836, 13);
    const V t861 = VROR(t836, 22);
    const V t862 = _mm512_ternarylogic_epi32(t859, t860, t861, 0x96);
    const V t863 = VADD(t862, t858);
    const V t864 = VADD(t857, t863);
    const V t865 = VADD(t752, t857);
    const V t866 = VROR(t820, 17);
    const V t867 = VROR(t820, 19);
    const V t868 = _mm512_srli_epi32(t820, 10);
    const V t869 = _mm512_ternarylogic_epi32(t866, t867, t868, 0x96);
    const V t870 = VROR(t483, 7);
    const V t871 = VROR(t483, 18);
    const V t872 = _mm512_srli_epi32(t483, 3);
    const V t873 = _mm512_ternarylogic_epi32(t870, t871, t872, 0x96);
    const V t874 = VADD(t869, t680);
    const V t875 = VADD(t873, t460);
    const V t876 = VADD(t874, t875);
    const V t877 = _mm512_ternarylogic_epi32(t865, t837, t809, 0xCA);
    const V t878 = VADDK(t876, 0xa2bfe8a1u);
    const V t879 = VADD(t781, t878);
    const V t880 = VROR(t865, 6);
    const V t881 = VROR(t865, 11);
    const V t882 = VROR(t865, 25);
    const V t883 = _mm512_ternarylogic_epi32(t880, t881, t882, 0x96);
    const V t884 = VADD(t883, t877);
    const V t885 = VADD(t879, t884);
    const V t886 = _mm512_ternarylogic_epi32(t864, t836, t808, 0xE8);
    const V t887 = VROR(t864, 2);
    const V t888 = VROR(t864, 13);
    const V t889 = VROR(t864, 22);
    const V t890 = _mm512_ternarylogic_epi32(t887, t888, t889, 0x96);
    const V t891 = VADD(t890, t886);
    const V t892 = VADD(t885, t891);
    const V t893 = VADD(t780, t885);
    const V t894 = VROR(t848, 17);
    const V t895 = VROR(t848, 19);
    const V t896 = _mm512_srli_epi32(t848, 10);
    const V t897 = _mm512_ternarylogic_epi32(t894, t895, t896, 0x96);
    const V t898 = VROR(t506, 7);
    const V t899 = VROR(t506, 18);
    const V t900 = _mm512_srli_epi32(t506, 3);
    const V t901 = _mm512_ternarylogic_epi32(t898, t899, t900, 0x96);
    const V t902 = VADD(t897, t708);
    const V t903 = VADD(t901, t483);
    const V t904 = VADD(t902, t903);
    const V t905 = _mm512_ternarylogic_epi32(t893, t865, t837, 0xCA);
    const V t906 = VADDK(t904, 0xa81a664bu);
    const V t907 = VADD(t809, t906);
    const V t908 = VROR(t893, 6);
    const V t909 = VROR(t893, 11);
    const V t910 = VROR(t893, 25);
    const V t911 = _mm512_ternarylogic_epi32(t908, t909, t910, 0x96);
    const V t912 = VADD(t911, t905);
    const V t913 = VADD(t907, t912);
    const V t914 = _mm512_ternarylogic_epi32(t892, t864, t836, 0xE8);
    const V t915 = VROR(t892, 2);
    const V t916 = VROR(t892, 13);
    const V t917 = VROR(t892, 22);
    const V t918 = _mm512_ternarylogic_epi32(t915, t916, t917, 0x96);
    const V t919 = VADD(t918, t914);
    const V t920 = VADD(t913, t919);
    const V t921 = VADD(t808, t913);
    const V t922 = VROR(t876, 17);
    const V t923 = VROR(t876, 19);
    const V t924 = _mm512_srli_epi32(t876, 10);
    const V t925 = _mm512_ternarylogic_epi32(t922, t923, t924, 0x96);
    const V t926 = VROR(t529, 7);
    const V t927 = VROR(t529, 18);
    const V t928 = _mm512_srli_epi32(t529, 3);
    const V t929 = _mm512_ternarylogic_epi32(t926, t927, t928, 0x96);
    const V t930 = VADD(t925, t736);
    const V t931 = VADD(t929, t506);
    const V t932 = VADD(t930, t931);
    const V t933 = _mm512_ternarylogic_epi32(t921, t893, t865, 0xCA);
    const V t934 = VADDK(t932, 0xc24b8b70u);
    const V t935 = VADD(t837, t934);
    const V t936 = VROR(t921, 6);
    const V t937 = VROR(t921, 11);
    const V t938 = VROR(t921, 25);
    const V t939 = _mm512_ternarylogic_epi32(t936, t937, t938, 0x96);
    const V t940 = VADD(t939, t933);
    const V t941 = VADD(t935, t940);
    const V t942 = _mm512_ternarylogic_epi32(t920, t892, t864, 0xE8);
    const V t943 = VROR(t920, 2);
    const V t944 = VROR(t920, 13);
    const V t945 = VROR(t920, 22);
    const V t946 = _mm512_ternarylogic_epi32(t943, t944, t945, 0x96);
    const V t947 = VADD(t946, t942);
    const V t948 = VADD(t941, t947);
    const V t949 = VADD(t836, t941);
    const V t950 = VROR(t904, 17);
    const V t951 = VROR(t904, 19);
    const V t952 = _mm512_srli_epi32(t904, 10);
    const V t953 = _mm512_ternarylogic_epi32(t950, t951, t952, 0x96);
    const V t954 = VROR(t551, 7);
    const V t955 = VROR(t551, 18);
    const V t956 = _mm512_srli_epi32(t551, 3);
    const V t957 = _mm512_ternarylogic_epi32(t954, t955, t956, 0x96);
    const V t958 = VADD(t953, t764);
    const V t959 = VADD(t957, t529);
    const V t960 = VADD(t958, t959);
    const V t961 = _mm512_ternarylogic_epi32(t949, t921, t893, 0xCA);
    const V t962 = VADDK(t960, 0xc76c51a3u);
    const V t963 = VADD(t865, t962);
    const V t964 = VROR(t949, 6);
    const V t965 = VROR(t949, 11);
    const V t966 = VROR(t949, 25);
    const V t967 = _mm512_ternarylogic_epi32(t964, t965, t966, 0x96);
    const V t968 = VADD(t967, t961);
    const V t969 = VADD(t963, t968);
    const V t970 = _mm512_ternarylogic_epi32(t948, t920, t892, 0xE8);
    const V t971 = VROR(t948, 2);
    const V t972 = VROR(t948, 13);
    const V t973 = VROR(t948, 22);
    const V t974 = _mm512_ternarylogic_epi32(t971, t972, t973, 0x96);
    const V t975 = VADD(t974, t970);
    const V t976 = VADD(t969, t975);
    const V t977 = VADD(t864, t969);
    const V t978 = VROR(t932, 17);
    const V t979 = VROR(t932, 19);
    const V t980 = _mm512_srli_epi32(t932, 10);
    const V t981 = _mm512_ternarylogic_epi32(t978, t979, t980, 0x96);
    const V t982 = VROR(t573, 7);
    const V t983 = VROR(t573, 18);
    const V t984 = _mm512_srli_epi32(t573, 3);
    const V t985 = _mm512_ternarylogic_epi32(t982, t983, t984, 0x96);
    const V t986 = VADD(t981, t792);
    const V t987 = VADD(t985, t551);
    const V t988 = VADD(t986, t987);
    const V t989 = _mm512_ternarylogic_epi32(t977, t949, t921, 0xCA);
    const V t990 = VADDK(t988, 0xd192e819u);
    const V t991 = VADD(t893, t990);
    const V t992 = VROR(t977, 6);
    const V t993 = VROR(t977, 11);
    const V t994 = VROR(t977, 25);
    const V t995 = _mm512_ternarylogic_epi32(t992, t993, t994, 0x96);
    const V t996 = VADD(t995, t989);
    const V t997 = VADD(t991, t996);
    const V t998 = _mm512_ternarylogic_epi32(t976, t948, t920, 0xE8);
    const V t999 = VROR(t976, 2);
    const V t1000 = VROR(t976, 13);
    const V t1001 = VROR(t976, 22);
    const V t1002 = _mm512_ternarylogic_epi32(t999, t1000, t1001, 0x96);
    const V t1003 = VADD(t1002, t998);
    const V t1004 = VADD(t997, t1003);
    const V t1005 = VADD(t892, t997);
    const V t1006 = VROR(t960, 17);
    const V t1007 = VROR(t960, 19);
    const V t1008 = _mm512_srli_epi32(t960, 10);
    const V t1009 = _mm512_ternarylogic_epi32(t1006, t1007, t1008, 0x96);
    const V t1010 = VROR(t596, 7);
    const V t1011 = VROR(t596, 18);
    const V t1012 = _mm512_srli_epi32(t596, 3);
    const V t1013 = _mm512_ternarylogic_epi32(t1010, t1011, t1012, 0x96);
    const V t1014 = VADD(t1009, t820);
    const V t1015 = VADD(t1013, t573);
    const V t1016 = VADD(t1014, t1015);
    const V t1017 = _mm512_ternarylogic_epi32(t1005, t977, t949, 0xCA);
    const V t1018 = VADDK(t1016, 0xd6990624u);
    const V t1019 = VADD(t921, t1018);
    const V t1020 = VROR(t1005, 6);
    const V t1021 = VROR(t1005, 11);
    const V t1022 = VROR(t1005, 25);
    const V t1023 = _mm512_ternarylogic_epi32(t1020, t1021, t1022, 0x96);
    const V t1024 = VADD(t1023, t1017);
    const V t1025 = VADD(t1019, t1024);
    const V t1026 = _mm512_ternarylogic_epi32(t1004, t976, t948, 0xE8);
    const V t1027 = VROR(t1004, 2);
    const V t1028 = VROR(t1004, 13);
    const V t1029 = VROR(t1004, 22);
    const V t1030 = _mm512_ternarylogic_epi32(t1027, t1028, t1029, 0x96);
    const V t1031 = VADD(t1030, t1026);
    const V t1032 = VADD(t1025, t1031);
    const V t1033 = VADD(t920, t1025);
    const V t1034 = VROR(t988, 17);
    const V t1035 = VROR(t988, 19);
    const V t1036 = _mm512_srli_epi32(t988, 10);
    const V t1037 = _mm512_ternarylogic_epi32(t1034, t1035, t1036, 0x96);
    const V t1038 = VROR(t624, 7);
    const V t1039 = VROR(t624, 18);
    const V t1040 = _mm512_srli_epi32(t624, 3);
    const V t1041 = _mm512_ternarylogic_epi32(t1038, t1039, t1040, 0x96);
    const V t1042 = VADD(t1037, t848);
    const V t1043 = VADD(t1041, t596);
    const V t1044 = VADD(t1042, t1043);
    const V t1045 = _mm512_ternarylogic_epi32(t1033, t1005, t977, 0xCA);
    const V t1046 = VADDK(t1044, 0xf40e3585u);
    const V t1047 = VADD(t949, t1046);
    const V t1048 = VROR(t1033, 6);
    const V t1049 = VROR(t1033, 11);
    const V t1050 = VROR(t1033, 25);
    const V t1051 = _mm512_ternarylogic_epi32(t1048, t1049, t1050, 0x96);
    const V t1052 = VADD(t1051, t1045);
    const V t1053 = VADD(t1047, t1052);
    const V t1054 = _mm512_ternarylogic_epi32(t1032, t1004, t976, 0xE8);
    const V t1055 = VROR(t1032, 2);
    const V t1056 = VROR(t1032, 13);
    const V t1057 = VROR(t1032, 22);
    const V t1058 = _mm512_ternarylogic_epi32(t1055, t1056, t1057, 0x96);
    const V t1059 = VADD(t1058, t1054);
    const V t1060 = VADD(t1053, t1059);
    const V t1061 = VADD(t948, t1053);
    const V t1062 = VROR(t1016, 17);
    const V t1063 = VROR(t1016, 19);
    const V t1064 = _mm512_srli_epi32(t1016, 10);
    const V t1065 = _mm512_ternarylogic_epi32(t1062, t1063, t1064, 0x96);
    const V t1066 = VROR(t652, 7);
    const V t1067 = VROR(t652, 18);
    const V t1068 = _mm512_srli_epi32(t652, 3);
    const V t1069 = _mm512_ternarylogic_epi32(t1066, t1067, t1068, 0x96);
    const V t1070 = VADD(t1065, t876);
    const V t1071 = VADD(t1069, t624);
    const V t1072 = VADD(t1070, t1071);
    const V t1073 = _mm512_ternarylogic_epi32(t1061, t1033, t1005, 0xCA);
    const V t1074 = VADDK(t1072, 0x106aa070u);
    const V t1075 = VADD(t977, t1074);
    const V t1076 = VROR(t1061, 6);
    const V t1077 = VROR(t1061, 11);
    const V t1078 = VROR(t1061, 25);
    const V t1079 = _mm512_ternarylogic_epi32(t1076, t1077, t1078, 0x96);
    const V t1080 = VADD(t1079, t1073);
    const V t1081 = VADD(t1075, t1080);
    const V t1082 = _mm512_ternarylogic_epi32(t1060, t1032, t1004, 0xE8);
    const V t1083 = VROR(t1060, 2);
    const V t1084 = VROR(t1060, 13);
    const V t1085 = VROR(t1060, 22);
    const V t1086 = _mm512_ternarylogic_epi32(t1083, t1084, t1085, 0x96);
    const V t1087 = VADD(t1086, t1082);
    const V t1088 = VADD(t1081, t1087);
    const V t1089 = VADD(t976, t1081);
    const V t1090 = VROR(t1044, 17);
    const V t1091 = VROR(t1044, 19);
    const V t1092 = _mm512_srli_epi32(t1044, 10);
    const V t1093 = _mm512_ternarylogic_epi32(t1090, t1091, t1092, 0x96);
    const V t1094 = VROR(t680, 7);
    const V t1095 = VROR(t680, 18);
    const V t1096 = _mm512_srli_epi32(t680, 3);
    const V t1097 = _mm512_ternarylogic_epi32(t1094, t1095, t1096, 0x96);
    const V t1098 = VADD(t1093, t904);
    const V t1099 = VADD(t1097, t652);
    const V t1100 = VADD(t1098, t1099);
    const V t1101 = _mm512_ternarylogic_epi32(t1089, t1061, t1033, 0xCA);
    const V t1102 = VADDK(t1100, 0x19a4c116u);
    const V t1103 = VADD(t1005, t1102);
    const V t1104 = VROR(t1089, 6);
    const V t1105 = VROR(t1089, 11);
    const V t1106 = VROR(t1089, 25);
    const V t1107 = _mm512_ternarylogic_epi32(t1104, t1105, t1106, 0x96);
    const V t1108 = VADD(t1107, t1101);
    const V t1109 = VADD(t1103, t1108);
    const V t1110 = _mm512_ternarylogic_epi32(t1088, t1060, t1032, 0xE8);
    const V t1111 = VROR(t1088, 2);
    const V t1112 = VROR(t1088, 13);
    const V t1113 = VROR(t1088, 22);
    const V t1114 = _mm512_ternarylogic_epi32(t1111, t1112, t1113, 0x96);
    const V t1115 = VADD(t1114, t1110);
    const V t1116 = VADD(t1109, t1115);
    const V t1117 = VADD(t1004, t1109);
    const V t1118 = VROR(t1072, 17);
    const V t1119 = VROR(t1072, 19);
    const V t1120 = _mm512_srli_epi32(t1072, 10);
    const V t1121 = _mm512_ternarylogic_epi32(t1118, t1119, t1120, 0x96);
    const V t1122 = VROR(t708, 7);
    const V t1123 = VROR(t708, 18);
    const V t1124 = _mm512_srli_epi32(t708, 3);
    const V t1125 = _mm512_ternarylogic_epi32(t1122, t1123, t1124, 0x96);
    const V t1126 = VADD(t1121, t932);
    const V t1127 = VADD(t1125, t680);
    const V t1128 = VADD(t1126, t1127);
    const V t1129 = _mm512_ternarylogic_epi32(t1117, t1089, t1061, 0xCA);
    const V t1130 = VADDK(t1128, 0x1e376c08u);
    const V t1131 = VADD(t1033, t1130);
    const V t1132 = VROR(t1117, 6);
    const V t1133 = VROR(t1117, 11);
    const V t1134 = VROR(t1117, 25);
    const V t1135 = _mm512_ternarylogic_epi32(t1132, t1133, t1134, 0x96);
    const V t1136 = VADD(t1135, t1129);
    const V t1137 = VADD(t1131, t1136);
    const V t1138 = _mm512_ternarylogic_epi32(t1116, t1088, t1060, 0xE8);
    const V t1139 = VROR(t1116, 2);
    const V t1140 = VROR(t1116, 13);
    const V t1141 = VROR(t1116, 22);
    const V t1142 = _mm512_ternarylogic_epi32(t1139, t1140, t1141, 0x96);
    const V t1143 = VADD(t1142, t1138);
    const V t1144 = VADD(t1137, t1143);
    const V t1145 = VADD(t1032, t1137);
    const V t1146 = VROR(t1100, 17);
    const V t1147 = VROR(t1100, 19);
    const V t1148 = _mm512_srli_epi32(t1100, 10);
    const V t1149 = _mm512_ternarylogic_epi32(t1146, t1147, t1148, 0x96);
    const V t1150 = VROR(t736, 7);
    const V t1151 = VROR(t736, 18);
    const V t1152 = _mm512_srli_epi32(t736, 3);
    const V t1153 = _mm512_ternarylogic_epi32(t1150, t1151, t1152, 0x96);
    const V t1154 = VADD(t1149, t960);
    const V t1155 = VADD(t1153, t708);
    const V t1156 = VADD(t1154, t1155);
    const V t1157 = _mm512_ternarylogic_epi32(t1145, t1117, t1089, 0xCA);
    const V t1158 = VADDK(t1156, 0x2748774cu);
    const V t1159 = VADD(t1061, t1158);
    const V t1160 = VROR(t1145, 6);
    const V t1161 = VROR(t1145, 11);
    const V t1162 = VROR(t1145, 25);
    const V t1163 = _mm512_ternarylogic_epi32(t1160, t1161, t1162, 0x96);
    const V t1164 = VADD(t1163, t1157);
    const V t1165 = VADD(t1159, t1164);
    const V t1166 = _mm512_ternarylogic_epi32(t1144, t1116, t1088, 0xE8);
    const V t1167 = VROR(t1144, 2);
    const V t1168 = VROR(t1144, 13);
    const V t1169 = VROR(t1144, 22);
    const V t1170 = _mm512_ternarylogic_epi32(t1167, t1168, t1169, 0x96);
    const V t1171 = VADD(t1170, t1166);
    const V t1172 = VADD(t1165, t1171);
    const V t1173 = VADD(t1060, t1165);
    const V t1174 = VROR(t1128, 17);
    const V t1175 = VROR(t1128, 19);
    const V t1176 = _mm512_srli_epi32(t1128, 10);
    const V t1177 = _mm512_ternarylogic_epi32(t1174, t1175, t1176, 0x96);
    const V t1178 = VROR(t764, 7);
    const V t1179 = VROR(t764, 18);
    const V t1180 = _mm512_srli_epi32(t764, 3);
    const V t1181 = _mm512_ternarylogic_epi32(t1178, t1179, t1180, 0x96);
    const V t1182 = VADD(t1177, t988);
    const V t1183 = VADD(t1181, t736);
    const V t1184 = VADD(t1182, t1183);
    const V t1185 = _mm512_ternarylogic_epi32(t1173, t1145, t1117, 0xCA);
    const V t1186 = VADDK(t1184, 0x34b0bcb5u);
    const V t1187 = VADD(t1089, t1186);
    const V t1188 = VROR(t1173, 6);
    const V t1189 = VROR(t1173, 11);
    const V t1190 = VROR(t1173, 25);
    const V t1191 = _mm512_ternarylogic_epi32(t1188, t1189, t1190, 0x96);
    const V t1192 = VADD(t1191, t1185);
    const V t1193 = VADD(t1187, t1192);
    const V t1194 = _mm512_ternarylogic_epi32(t1172, t1144, t1116, 0xE8);
    const V t1195 = VROR(t1172, 2);
    const V t1196 = VROR(t1172, 13);
    const V t1197 = VROR(t1172, 22);
    const V t1198 = _mm512_ternarylogic_epi32(t1195, t1196, t1197, 0x96);
    const V t1199 = VADD(t1198, t1194);
    const V t1200 = VADD(t1193, t1199);
    const V t1201 = VADD(t1088, t1193);
    const V t1202 = VROR(t1156, 17);
    const V t1203 = VROR(t1156, 19);
    const V t1204 = _mm512_srli_epi32(t1156, 10);
    const V t1205 = _mm512_ternarylogic_epi32(t1202, t1203, t1204, 0x96);
    const V t1206 = VROR(t792, 7);
    const V t1207 = VROR(t792, 18);
    const V t1208 = _mm512_srli_epi32(t792, 3);
    const V t1209 = _mm512_ternarylogic_epi32(t1206, t1207, t1208, 0x96);
    const V t1210 = VADD(t1205, t1016);
    const V t1211 = VADD(t1209, t764);
    const V t1212 = VADD(t1210, t1211);
    const V t1213 = _mm512_ternarylogic_epi32(t1201, t1173, t1145, 0xCA);
    const V t1214 = VADDK(t1212, 0x391c0cb3u);
    const V t1215 = VADD(t1117, t1214);
    const V t1216 = VROR(t1201, 6);
    const V t1217 = VROR(t1201, 11);
    const V t1218 = VROR(t1201, 25);
    const V t1219 = _mm512_ternarylogic_epi32(t1216, t1217, t1218, 0x96);
    const V t1220 = VADD(t1219, t1213);
    const V t1221 = VADD(t1215, t1220);
    const V t1222 = _mm512_ternarylogic_epi32(t1200, t1172, t1144, 0xE8);
    const V t1223 = VROR(t1200, 2);
    const V t1224 = VROR(t1200, 13);
    const V t1225 = VROR(t1200, 22);
    const V t1226 = _mm512_ternarylogic_epi32(t1223, t1224, t1225, 0x96);
    const V t1227 = VADD(t1226, t1222);
    const V t1228 = VADD(t1221, t1227);
    const V t1229 = VADD(t1116, t1221);
    const V t1230 = VROR(t1184, 17);
    const V t1231 = VROR(t1184, 19);
    const V t1232 = _mm512_srli_epi32(t1184, 10);
    const V t1233 = _mm512_ternarylogic_epi32(t1230, t1231, t1232, 0x96);
    const V t1234 = VROR(t820, 7);
    const V t1235 = VROR(t820, 18);
    const V t1236 = _mm512_srli_epi32(t820, 3);
    const V t1237 = _mm512_ternarylogic_epi32(t1234, t1235, t1236, 0x96);
    const V t1238 = VADD(t1233, t1044);
    const V t1239 = VADD(t1237, t792);
    const V t1240 = VADD(t1238, t1239);
    const V t1241 = _mm512_ternarylogic_epi32(t1229, t1201, t1173, 0xCA);
    const V t1242 = VADDK(t1240, 0x4ed8aa4au);
    const V t1243 = VADD(t1145, t1242);
    const V t1244 = VROR(t1229, 6);
    const V t1245 = VROR(t1229, 11);
    const V t1246 = VROR(t1229, 25);
    const V t1247 = _mm512_ternarylogic_epi32(t1244, t1245, t1246, 0x96);
    const V t1248 = VADD(t1247, t1241);
    const V t1249 = VADD(t1243, t1248);
    const V t1250 = _mm512_ternarylogic_epi32(t1228, t1200, t1172, 0xE8);
    const V t1251 = VROR(t1228, 2);
    const V t1252 = VROR(t1228, 13);
    const V t1253 = VROR(t1228, 22);
    const V t1254 = _mm512_ternarylogic_epi32(t1251, t1252, t1253, 0x96);
    const V t1255 = VADD(t1254, t1250);
    const V t1256 = VADD(t1249, t1255);
    const V t1257 = VADD(t1144, t1249);
    const V t1258 = VROR(t1212, 17);
    const V t1259 = VROR(t1212, 19);
    const V t1260 = _mm512_srli_epi32(t1212, 10);
    const V t1261 = _mm512_ternarylogic_epi32(t1258, t1259, t1260, 0x96);
    const V t1262 = VROR(t848, 7);
    const V t1263 = VROR(t848, 18);
    const V t1264 = _mm512_srli_epi32(t848, 3);
    const V t1265 = _mm512_ternarylogic_epi32(t1262, t1263, t1264, 0x96);
    const V t1266 = VADD(t1261, t1072);
    const V t1267 = VADD(t1265, t820);
    const V t1268 = VADD(t1266, t1267);
    const V t1269 = _mm512_ternarylogic_epi32(t1257, t1229, t1201, 0xCA);
    const V t1270 = VADDK(t1268, 0x5b9cca4fu);
    const V t1271 = VADD(t1173, t1270);
    const V t1272 = VROR(t1257, 6);
    const V t1273 = VROR(t1257, 11);
    const V t1274 = VROR(t1257, 25);
    const V t1275 = _mm512_ternarylogic_epi32(t1272, t1273, t1274, 0x96);
    const V t1276 = VADD(t1275, t1269);
    const V t1277 = VADD(t1271, t1276);
    const V t1278 = _mm512_ternarylogic_epi32(t1256, t1228, t1200, 0xE8);
    const V t1279 = VROR(t1256, 2);
    const V t1280 = VROR(t1256, 13);
    const V t1281 = VROR(t1256, 22);
    const V t1282 = _mm512_ternarylogic_epi32(t1279, t1280, t1281, 0x96);
    const V t1283 = VADD(t1282, t1278);
    const V t1284 = VADD(t1277, t1283);
    const V t1285 = VADD(t1172, t1277);
    const V t1286 = VROR(t1240, 17);
    const V t1287 = VROR(t1240, 19);
    const V t1288 = _mm512_srli_epi32(t1240, 10);
    const V t1289 = _mm512_ternarylogic_epi32(t1286, t1287, t1288, 0x96);
    const V t1290 = VROR(t876, 7);
    const V t1291 = VROR(t876, 18);
    const V t1292 = _mm512_srli_epi32(t876, 3);
    const V t1293 = _mm512_ternarylogic_epi32(t1290, t1291, t1292, 0x96);
    const V t1294 = VADD(t1289, t1100);
    const V t1295 = VADD(t1293, t848);
    const V t1296 = VADD(t1294, t1295);
    const V t1297 = _mm512_ternarylogic_epi32(t1285, t1257, t1229, 0xCA);
    const V t1298 = VADDK(t1296, 0x682e6ff3u);
    const V t1299 = VADD(t1201, t1298);
    const V t1300 = VROR(t1285, 6);
    const V t1301 = VROR(t1285, 11);
    const V t1302 = VROR(t1285, 25);
    const V t1303 = _mm512_ternarylogic_epi32(t1300, t1301, t1302, 0x96);
    const V t1304 = VADD(t1303, t1297);
    const V t1305 = VADD(t1299, t1304);
    const V t1306 = _mm512_ternarylogic_epi32(t1284, t1256, t1228, 0xE8);
    const V t1307 = VROR(t1284, 2);
    const V t1308 = VROR(t1284, 13);
    const V t1309 = VROR(t1284, 22);
    const V t1310 = _mm512_ternarylogic_epi32(t1307, t1308, t1309, 0x96);
    const V t1311 = VADD(t1310, t1306);
    const V t1312 = VADD(t1305, t1311);
    const V t1313 = VADD(t1200, t1305);
    const V t1314 = VROR(t1268, 17);
    const V t1315 = VROR(t1268, 19);
    const V t1316 = _mm512_srli_epi32(t1268, 10);
    const V t1317 = _mm512_ternarylogic_epi32(t1314, t1315, t1316, 0x96);
    const V t1318 = VROR(t904, 7);
    const V t1319 = VROR(t904, 18);
    const V t1320 = _mm512_srli_epi32(t904, 3);
    const V t1321 = _mm512_ternarylogic_epi32(t1318, t1319, t1320, 0x96);
    const V t1322 = VADD(t1317, t1128);
    const V t1323 = VADD(t1321, t876);
    const V t1324 = VADD(t1322, t1323);
    const V t1325 = _mm512_ternarylogic_epi32(t1313, t1285, t1257, 0xCA);
    const V t1326 = VADDK(t1324, 0x748f82eeu);
    const V t1327 = VADD(t1229, t1326);
    const V t1328 = VROR(t1313, 6);
    const V t1329 = VROR(t1313, 11);
    const V t1330 = VROR(t1313, 25);
    const V t1331 = _mm512_ternarylogic_epi32(t1328, t1329, t1330, 0x96);
    const V t1332 = VADD(t1331, t1325);
    const V t1333 = VADD(t1327, t1332);
    const V t1334 = _mm512_ternarylogic_epi32(t1312, t1284, t1256, 0xE8);
    const V t1335 = VROR(t1312, 2);
    const V t1336 = VROR(t1312, 13);
    const V t1337 = VROR(t1312, 22);
    const V t1338 = _mm512_ternarylogic_epi32(t1335, t1336, t1337, 0x96);
    const V t1339 = VADD(t1338, t1334);
    const V t1340 = VADD(t1333, t1339);
    const V t1341 = VADD(t1228, t1333);
    const V t1342 = VROR(t1296, 17);
    const V t1343 = VROR(t1296, 19);
    const V t1344 = _mm512_srli_epi32(t1296, 10);
    const V t1345 = _mm512_ternarylogic_epi32(t1342, t1343, t1344, 0x96);
    const V t1346 = VROR(t932, 7);
    const V t1347 = VROR(t932, 18);
    const V t1348 = _mm512_srli_epi32(t932, 3);
    const V t1349 = _mm512_ternarylogic_epi32(t1346, t1347, t1348, 0x96);
    const V t1350 = VADD(t1345, t1156);
    const V t1351 = VADD(t1349, t904);
    const V t1352 = VADD(t1350, t1351);
    const V t1353 = _mm512_ternarylogic_epi32(t1341, t1313, t1285, 0xCA);
    const V t1354 = VADDK(t1352, 0x78a5636fu);
    const V t1355 = VADD(t1257, t1354);
    const V t1356 = VROR(t1341, 6);
    const V t1357 = VROR(t1341, 11);
    const V t1358 = VROR(t1341, 25);
    const V t1359 = _mm512_ternarylogic_epi32(t1356, t1357, t1358, 0x96);
    const V t1360 = VADD(t1359, t1353);
    const V t1361 = VADD(t1355, t1360);
    const V t1362 = _mm512_ternarylogic_epi32(t1340, t1312, t1284, 0xE8);
    const V t1363 = VROR(t1340, 2);
    const V t1364 = VROR(t1340, 13);
    const V t1365 = VROR(t1340, 22);
    const V t1366 = _mm512_ternarylogic_epi32(t1363, t1364, t1365, 0x96);
    const V t1367 = VADD(t1366, t1362);
    const V t1368 = VADD(t1361, t1367);
    const V t1369 = VADD(t1256, t1361);
    const V t1370 = VROR(t1324, 17);
    const V t1371 = VROR(t1324, 19);
    const V t1372 = _mm512_srli_epi32(t1324, 10);
    const V t1373 = _mm512_ternarylogic_epi32(t1370, t1371, t1372, 0x96);
    const V t1374 = VROR(t960, 7);
    const V t1375 = VROR(t960, 18);
    const V t1376 = _mm512_srli_epi32(t960, 3);
    const V t1377 = _mm512_ternarylogic_epi32(t1374, t1375, t1376, 0x96);
    const V t1378 = VADD(t1373, t1184);
    const V t1379 = VADD(t1377, t932);
    const V t1380 = VADD(t1378, t1379);
    const V t1381 = _mm512_ternarylogic_epi32(t1369, t1341, t1313, 0xCA);
    const V t1382 = VADDK(t1380, 0x84c87814u);
    const V t1383 = VADD(t1285, t1382);
    const V t1384 = VROR(t1369, 6);
    const V t1385 = VROR(t1369, 11);
    const V t1386 = VROR(t1369, 25);
    const V t1387 = _mm512_ternarylogic_epi32(t1384, t1385, t1386, 0x96);
    const V t1388 = VADD(t1387, t1381);
    const V t1389 = VADD(t1383, t1388);
    const V t1390 = _mm512_ternarylogic_epi32(t1368, t1340, t1312, 0xE8);
    const V t1391 = VROR(t1368, 2);
    const V t1392 = VROR(t1368, 13);
    const V t1393 = VROR(t1368, 22);
    const V t1394 = _mm512_ternarylogic_epi32(t1391, t1392, t1393, 0x96);
    const V t1395 = VADD(t1394, t1390);
    const V t1396 = VADD(t1389, t1395);
    const V t1397 = VADD(t1284, t1389);
    const V t1398 = VROR(t1352, 17);
    const V t1399 = VROR(t1352, 19);
    const V t1400 = _mm512_srli_epi32(t1352, 10);
    const V t1401 = _mm512_ternarylogic_epi32(t1398, t1399, t1400, 0x96);
    const V t1402 = VROR(t988, 7);
    const V t1403 = VROR(t988, 18);
    const V t1404 = _mm512_srli_epi32(t988, 3);
    const V t1405 = _mm512_ternarylogic_epi32(t1402, t1403, t1404, 0x96);
    const V t1406 = VADD(t1401, t1212);
    const V t1407 = VADD(t1405, t960);
    const V t1408 = VADD(t1406, t1407);
    const V t1409 = _mm512_ternarylogic_epi32(t1397, t1369, t1341, 0xCA);
    const V t1410 = VADDK(t1408, 0x8cc70208u);
    const V t1411 = VADD(t1313, t1410);
    const V t1412 = VROR(t1397, 6);
    const V t1413 = VROR(t1397, 11);
    const V t1414 = VROR(t1397, 25);
    const V t1415 = _mm512_ternarylogic_epi32(t1412, t1413, t1414, 0x96);
    const V t1416 = VADD(t1415, t1409);
    const V t1417 = VADD(t1411, t1416);
    const V t1418 = _mm512_ternarylogic_epi32(t1396, t1368, t1340, 0xE8);
    const V t1419 = VROR(t1396, 2);
    const V t1420 = VROR(t1396, 13);
    const V t1421 = VROR(t1396, 22);
    const V t1422 = _mm512_ternarylogic_epi32(t1419, t1420, t1421, 0x96);
    const V t1423 = VADD(t1422, t1418);
    const V t1424 = VADD(t1417, t1423);
    const V t1425 = VADD(t1312, t1417);
    const V t1426 = VROR(t1380, 17);
    const V t1427 = VROR(t1380, 19);
    const V t1428 = _mm512_srli_epi32(t1380, 10);
    const V t1429 = _mm512_ternarylogic_epi32(t1426, t1427, t1428, 0x96);
    const V t1430 = VROR(t1016, 7);
    const V t1431 = VROR(t1016, 18);
    const V t1432 = _mm512_srli_epi32(t1016, 3);
    const V t1433 = _mm512_ternarylogic_epi32(t1430, t1431, t1432, 0x96);
    const V t1434 = VADD(t1429, t1240);
    const V t1435 = VADD(t1433, t988);
    const V t1436 = VADD(t1434, t1435);
    const V t1437 = _mm512_ternarylogic_epi32(t1425, t1397, t1369, 0xCA);
    const V t1438 = VADDK(t1436, 0x90befffau);
    const V t1439 = VADD(t1341, t1438);
    const V t1440 = VROR(t1425, 6);
    const V t1441 = VROR(t1425, 11);
    const V t1442 = VROR(t1425, 25);
    const V t1443 = _mm512_ternarylogic_epi32(t1440, t1441, t1442, 0x96);
    const V t1444 = VADD(t1443, t1437);
    const V t1445 = VADD(t1439, t1444);
    const V t1446 = _mm512_ternarylogic_epi32(t1424, t1396, t1368, 0xE8);
    const V t1447 = VROR(t1424, 2);
    const V t1448 = VROR(t1424, 13);
    const V t1449 = VROR(t1424, 22);
    const V t1450 = _mm512_ternarylogic_epi32(t1447, t1448, t1449, 0x96);
    const V t1451 = VADD(t1450, t1446);
    const V t1452 = VADD(t1445, t1451);
    const V t1453 = VADD(t1340, t1445);
    const V t1454 = VROR(t1408, 17);
    const V t1455 = VROR(t1408, 19);
    const V t1456 = _mm512_srli_epi32(t1408, 10);
    const V t1457 = _mm512_ternarylogic_epi32(t1454, t1455, t1456, 0x96);
    const V t1458 = VROR(t1044, 7);
    const V t1459 = VROR(t1044, 18);
    const V t1460 = _mm512_srli_epi32(t1044, 3);
    const V t1461 = _mm512_ternarylogic_epi32(t1458, t1459, t1460, 0x96);
    const V t1462 = VADD(t1457, t1268);
    const V t1463 = VADD(t1461, t1016);
    const V t1464 = VADD(t1462, t1463);
    const V t1465 = _mm512_ternarylogic_epi32(t1453, t1425, t1397, 0xCA);
    const V t1466 = VADDK(t1464, 0xa4506cebu);
    const V t1467 = VADD(t1369, t1466);
    const V t1468 = VROR(t1453, 6);
    const V t1469 = VROR(t1453, 11);
    const V t1470 = VROR(t1453, 25);
    const V t1471 = _mm512_ternarylogic_epi32(t1468, t1469, t1470, 0x96);
    const V t1472 = VADD(t1471, t1465);
    const V t1473 = VADD(t1467, t1472);
    const V t1474 = _mm512_ternarylogic_epi32(t1452, t1424, t1396, 0xE8);
    const V t1475 = VROR(t1452, 2);
    const V t1476 = VROR(t1452, 13);
    const V t1477 = VROR(t1452, 22);
    const V t1478 = _mm512_ternarylogic_epi32(t1475, t1476, t1477, 0x96);
    const V t1479 = VADD(t1478, t1474);
    const V t1480 = VADD(t1473, t1479);
    const V t1481 = VADD(t1368, t1473);
    const V t1482 = VROR(t1436, 17);
    const V t1483 = VROR(t1436, 19);
    const V t1484 = _mm512_srli_epi32(t1436, 10);
    const V t1485 = _mm512_ternarylogic_epi32(t1482, t1483, t1484, 0x96);
    const V t1486 = VROR(t1072, 7);
    const V t1487 = VROR(t1072, 18);
    const V t1488 = _mm512_srli_epi32(t1072, 3);
    const V t1489 = _mm512_ternarylogic_epi32(t1486, t1487, t1488, 0x96);
    const V t1490 = VADD(t1485, t1296);
    const V t1491 = VADD(t1489, t1044);
    const V t1492 = VADD(t1490, t1491);
    const V t1493 = _mm512_ternarylogic_epi32(t1481, t1453, t1425, 0xCA);
    const V t1494 = VADDK(t1492, 0xbef9a3f7u);
    const V t1495 = VADD(t1397, t1494);
    const V t1496 = VROR(t1481, 6);
    const V t1497 = VROR(t1481, 11);
    const V t1498 = VROR(t1481, 25);
    const V t1499 = _mm512_ternarylogic_epi32(t1496, t1497, t1498, 0x96);
    const V t1500 = VADD(t1499, t1493);
    const V t1501 = VADD(t1495, t1500);
    const V t1502 = _mm512_ternarylogic_epi32(t1480, t1452, t1424, 0xE8);
    const V t1503 = VROR(t1480, 2);
    const V t1504 = VROR(t1480, 13);
    const V t1505 = VROR(t1480, 22);
    const V t1506 = _mm512_ternarylogic_epi32(t1503, t1504, t1505, 0x96);
    const V t1507 = VADD(t1506, t1502);
    const V t1508 = VADD(t1501, t1507);
    const V t1509 = VADD(t1396, t1501);
    const V t1510 = VROR(t1464, 17);
    const V t1511 = VROR(t1464, 19);
    const V t1512 = _mm512_srli_epi32(t1464, 10);
    const V t1513 = _mm512_ternarylogic_epi32(t1510, t1511, t1512, 0x96);
    const V t1514 = VROR(t1100, 7);
    const V t1515 = VROR(t1100, 18);
    const V t1516 = _mm512_srli_epi32(t1100, 3);
    const V t1517 = _mm512_ternarylogic_epi32(t1514, t1515, t1516, 0x96);
    const V t1518 = VADD(t1513, t1324);
    const V t1519 = VADD(t1517, t1072);
    const V t1520 = VADD(t1518, t1519);
    const V t1521 = _mm512_ternarylogic_epi32(t1509, t1481, t1453, 0xCA);
    const V t1522 = VADDK(t1520, 0xc67178f2u);
    const V t1523 = VADD(t1425, t1522);
    const V t1524 = VROR(t1509, 6);
    const V t1525 = VROR(t1509, 11);
    const V t1526 = VROR(t1509, 25);
    const V t1527 = _mm512_ternarylogic_epi32(t1524, t1525, t1526, 0x96);
    const V t1528 = VADD(t1527, t1521);
    const V t1529 = VADD(t1523, t1528);
    const V t1530 = _mm512_ternarylogic_epi32(t1508, t1480, t1452, 0xE8);
    const V t1531 = VROR(t1508, 2);
    const V t1532 = VROR(t1508, 13);
    const V t1533 = VROR(t1508, 22);
    const V t1534 = _mm512_ternarylogic_epi32(t1531, t1532, t1533, 0x96);
    const V t1535 = VADD(t1534, t1530);
    const V t1536 = VADD(t1529, t1535);
    const V t1537 = VADD(t1424, t1529);
    const V t1538 = VADDK(t1536, 0x6a09e667u);
    const V t1539 = VADDK(t1508, 0xbb67ae85u);
    const V t1540 = VADDK(t1480, 0x3c6ef372u);
    const V t1541 = VADDK(t1452, 0xa54ff53au);
    const V t1542 = VADDK(t1537, 0x510e527fu);
    const V t1543 = VADDK(t1509, 0x9b05688cu);
    const V t1544 = VADDK(t1481, 0x1f83d9abu);
    const V t1545 = VADDK(t1453, 0x5be0cd19u);
    s[0] = t1538;
    s[1] = t1539;
    s[2] = t1540;
    s[3] = t1541;
    s[4] = t1542;
    s[5] = t1543;
    s[6] = t1544;
    s[7] = t1545;
}

/* 1540 vector operations for 16 blocks (566 add, 636 rotate/shift, 338 ternlog) */
__attribute__((target("avx512f"))) static inline __attribute__((always_inline)) void
c16_chain(const V w[8], V s[8]) {
    const V t1 = VADDK(w[0], 0x98c7e2a2u);
    const V t2 = _mm512_ternarylogic_epi32(t1, _mm512_set1_epi32((int)0x510e527fu), _mm512_set1_epi32((int)0x9b05688cu), 0xCA);
    const V t3 = VROR(t1, 6);
    const V t4 = VROR(t1, 11);
    const V t5 = VROR(t1, 25);
    const V t6 = _mm512_ternarylogic_epi32(t3, t4, t5, 0x96);
    const V t7 = VADD(t6, t2);
    const V t8 = VADDK(t7, 0x90bb1e3cu);
    const V t9 = VADD(w[1], t8);
    const V t10 = VADDK(w[0], 0xfc08884du);
    const V t11 = _mm512_ternarylogic_epi32(t10, _mm512_set1_epi32((int)0x6a09e667u), _mm512_set1_epi32((int)0xbb67ae85u), 0xE8);
    const V t12 = VROR(t10, 2);
    const V t13 = VROR(t10, 13);
    const V t14 = VROR(t10, 22);
    const V t15 = _mm512_ternarylogic_epi32(t12, t13, t14, 0x96);
    const V t16 = VADD(t15, t11);
    const V t17 = VADD(t9, t16);
    const V t18 = VADDK(t9, 0x3c6ef372u);
    const V t19 = _mm512_ternarylogic_epi32(t18, t1, _mm512_set1_epi32((int)0x510e527fu), 0xCA);
    const V t20 = VROR(t18, 6);
    const V t21 = VROR(t18, 11);
    const V t22 = VROR(t18, 25);
    const V t23 = _mm512_ternarylogic_epi32(t20, t21, t22, 0x96);
    const V t24 = VADD(t23, t19);
    const V t25 = VADDK(t24, 0x50c6645bu);
    const V t26 = VADD(w[2], t25);
    const V t27 = _mm512_ternarylogic_epi32(t17, t10, _mm512_set1_epi32((int)0x6a09e667u), 0xE8);
    const V t28 = VROR(t17, 2);
    const V t29 = VROR(t17, 13);
    const V t30 = VROR(t17, 22);
    const V t31 = _mm512_ternarylogic_epi32(t28, t29, t30, 0x96);
    const V t32 = VADD(t31, t27);
    const V t33 = VADD(t26, t32);
    const V t34 = VADDK(t26, 0xbb67ae85u);
    const V t35 = _mm512_ternarylogic_epi32(t1, t34, t18, 0xB8);
    const V t36 = VROR(t34, 6);
    const V t37 = VROR(t34, 11);
    const V t38 = VROR(t34, 25);
    const V t39 = _mm512_ternarylogic_epi32(t36, t37, t38, 0x96);
    const V t40 = VADD(t39, t35);
    const V t41 = VADDK(t40, 0x3ac42e24u);
    const V t42 = VADD(w[3], t41);
    const V t43 = _mm512_ternarylogic_epi32(t10, t33, t17, 0xE8);
    const V t44 = VROR(t33, 2);
    const V t45 = VROR(t33, 13);
    const V t46 = VROR(t33, 22);
    const V t47 = _mm512_ternarylogic_epi32(t44, t45, t46, 0x96);
    const V t48 = VADD(t47, t43);
    const V t49 = VADD(t42, t48);
    const V t50 = VADDK(t42, 0x6a09e667u);
    const V t51 = _mm512_ternarylogic_epi32(t18, t50, t34, 0xB8);
    const V t52 = VADDK(w[4], 0xd21ea4fdu);
    const V t53 = VADD(w[0], t52);
    const V t54 = VROR(t50, 6);
    const V t55 = VROR(t50, 11);
    const V t56 = VROR(t50, 25);
    const V t57 = _mm512_ternarylogic_epi32(t54, t55, t56, 0x96);
    const V t58 = VADD(t57, t51);
    const V t59 = VADD(t53, t58);
    const V t60 = _mm512_ternarylogic_epi32(t49, t33, t17, 0xE8);
    const V t61 = VROR(t49, 2);
    const V t62 = VROR(t49, 13);
    const V t63 = VROR(t49, 22);
    const V t64 = _mm512_ternarylogic_epi32(t61, t62, t63, 0x96);
    const V t65 = VADD(t64, t60);
    const V t66 = VADD(t59, t65);
    const V t67 = VADDK(t59, 0xfc08884du);
    const V t68 = VADD(w[0], t67);
    const V t69 = _mm512_ternarylogic_epi32(t34, t68, t50, 0xB8);
    const V t70 = VADDK(w[5], 0x96600563u);
    const V t71 = VADD(t9, t70);
    const V t72 = VROR(t68, 6);
    const V t73 = VROR(t68, 11);
    const V t74 = VROR(t68, 25);
    const V t75 = _mm512_ternarylogic_epi32(t72, t73, t74, 0x96);
    const V t76 = VADD(t75, t69);
    const V t77 = VADD(t71, t76);
    const V t78 = _mm512_ternarylogic_epi32(t66, t49, t33, 0xE8);
    const V t79 = VROR(t66, 2);
    const V t80 = VROR(t66, 13);
    const V t81 = VROR(t66, 22);
    const V t82 = _mm512_ternarylogic_epi32(t79, t80, t81, 0x96);
    const V t83 = VADD(t82, t78);
    const V t84 = VADD(t77, t83);
    const V t85 = VADD(t17, t77);
    const V t86 = _mm512_ternarylogic_epi32(t50, t85, t68, 0xB8);
    const V t87 = VADDK(w[6], 0x4da73129u);
    const V t88 = VADD(t26, t87);
    const V t89 = VROR(t85, 6);
    const V t90 = VROR(t85, 11);
    const V t91 = VROR(t85, 25);
    const V t92 = _mm512_ternarylogic_epi32(t89, t90, t91, 0x96);
    const V t93 = VADD(t92, t86);
    const V t94 = VADD(t88, t93);
    const V t95 = _mm512_ternarylogic_epi32(t84, t66, t49, 0xE8);
    const V t96 = VROR(t84, 2);
    const V t97 = VROR(t84, 13);
    const V t98 = VROR(t84, 22);
    const V t99 = _mm512_ternarylogic_epi32(t96, t97, t98, 0x96);
    const V t100 = VADD(t99, t95);
    const V t101 = VADD(t94, t100);
    const V t102 = VADD(t33, t94);
    const V t103 = _mm512_ternarylogic_epi32(t102, t85, t68, 0xCA);
    const V t104 = VADDK(w[7], 0x1526453cu);
    const V t105 = VADD(t42, t104);
    const V t106 = VROR(t102, 6);
    const V t107 = VROR(t102, 11);
    const V t108 = VROR(t102, 25);
    const V t109 = _mm512_ternarylogic_epi32(t106, t107, t108, 0x96);
    const V t110 = VADD(t109, t103);
    const V t111 = VADD(t105, t110);
    const V t112 = _mm512_ternarylogic_epi32(t101, t84, t66, 0xE8);
    const V t113 = VROR(t101, 2);
    const V t114 = VROR(t101, 13);
    const V t115 = VROR(t101, 22);
    const V t116 = _mm512_ternarylogic_epi32(t113, t114, t115, 0x96);
    const V t117 = VADD(t116, t112);
    const V t118 = VADD(t111, t117);
    const V t119 = VADD(t49, t111);
    const V t120 = _mm512_ternarylogic_epi32(t119, t102, t85, 0xCA);
    const V t121 = VROR(t119, 6);
    const V t122 = VROR(t119, 11);
    const V t123 = VROR(t119, 25);
    const V t124 = _mm512_ternarylogic_epi32(t121, t122, t123, 0x96);
    const V t125 = VADD(t124, t120);
    const V t126 = VADDK(t125, 0x5807aa98u);
    const V t127 = VADD(t68, t126);
    const V t128 = _mm512_ternarylogic_epi32(t118, t101, t84, 0xE8);
    const V t129 = VROR(t118, 2);
    const V t130 = VROR(t118, 13);
    const V t131 = VROR(t118, 22);
    const V t132 = _mm512_ternarylogic_epi32(t129, t130, t131, 0x96);
    const V t133 = VADD(t132, t128);
    const V t134 = VADD(t127, t133);
    const V t135 = VADD(t66, t127);
    const V t136 = _mm512_ternarylogic_epi32(t135, t119, t102, 0xCA);
    const V t137 = VROR(t135, 6);
    const V t138 = VROR(t135, 11);
    const V t139 = VROR(t135, 25);
    const V t140 = _mm512_ternarylogic_epi32(t137, t138, t139, 0x96);
    const V t141 = VADD(t140, t136);
    const V t142 = VADDK(t141, 0x12835b01u);
    const V t143 = VADD(t85, t142);
    const V t144 = _mm512_ternarylogic_epi32(t134, t118, t101, 0xE8);
    const V t145 = VROR(t134, 2);
    const V t146 = VROR(t134, 13);
    const V t147 = VROR(t134, 22);
    const V t148 = _mm512_ternarylogic_epi32(t145, t146, t147, 0x96);
    const V t149 = VADD(t148, t144);
    const V t150 = VADD(t143, t149);
    const V t151 = VADD(t84, t143);
    const V t152 = _mm512_ternarylogic_epi32(t151, t135, t119, 0xCA);
    const V t153 = VROR(t151, 6);
    const V t154 = VROR(t151, 11);
    const V t155 = VROR(t151, 25);
    const V t156 = _mm512_ternarylogic_epi32(t153, t154, t155, 0x96);
    const V t157 = VADD(t156, t152);
    const V t158 = VADDK(t157, 0x243185beu);
    const V t159 = VADD(t102, t158);
    const V t160 = _mm512_ternarylogic_epi32(t150, t134, t118, 0xE8);
    const V t161 = VROR(t150, 2);
    const V t162 = VROR(t150, 13);
    const V t163 = VROR(t150, 22);
    const V t164 = _mm512_ternarylogic_epi32(t161, t162, t163, 0x96);
    const V t165 = VADD(t164, t160);
    const V t166 = VADD(t159, t165);
    const V t167 = VADD(t101, t159);
    const V t168 = _mm512_ternarylogic_epi32(t167, t151, t135, 0xCA);
    const V t169 = VROR(t167, 6);
    const V t170 = VROR(t167, 11);
    const V t171 = VROR(t167, 25);
    const V t172 = _mm512_ternarylogic_epi32(t169, t170, t171, 0x96);
    const V t173 = VADD(t172, t168);
    const V t174 = VADDK(t173, 0x550c7dc3u);
    const V t175 = VADD(t119, t174);
    const V t176 = _mm512_ternarylogic_epi32(t166, t150, t134, 0xE8);
    const V t177 = VROR(t166, 2);
    const V t178 = VROR(t166, 13);
    const V t179 = VROR(t166, 22);
    const V t180 = _mm512_ternarylogic_epi32(t177, t178, t179, 0x96);
    const V t181 = VADD(t180, t176);
    const V t182 = VADD(t175, t181);
    const V t183 = VADD(t118, t175);
    const V t184 = _mm512_ternarylogic_epi32(t183, t167, t151, 0xCA);
    const V t185 = VROR(t183, 6);
    const V t186 = VROR(t183, 11);
    const V t187 = VROR(t183, 25);
    const V t188 = _mm512_ternarylogic_epi32(t185, t186, t187, 0x96);
    const V t189 = VADD(t188, t184);
    const V t190 = VADDK(t189, 0x72be5d74u);
    const V t191 = VADD(t135, t190);
    const V t192 = _mm512_ternarylogic_epi32(t182, t166, t150, 0xE8);
    const V t193 = VROR(t182, 2);
    const V t194 = VROR(t182, 13);
    const V t195 = VROR(t182, 22);
    const V t196 = _mm512_ternarylogic_epi32(t193, t194, t195, 0x96);
    const V t197 = VADD(t196, t192);
    const V t198 = VADD(t191, t197);
    const V t199 = VADD(t134, t191);
    const V t200 = _mm512_ternarylogic_epi32(t199, t183, t167, 0xCA);
    const V t201 = VROR(t199, 6);
    const V t202 = VROR(t199, 11);
    const V t203 = VROR(t199, 25);
    const V t204 = _mm512_ternarylogic_epi32(t201, t202, t203, 0x96);
    const V t205 = VADD(t204, t200);
    const V t206 = VADDK(t205, 0x80deb1feu);
    const V t207 = VADD(t151, t206);
    const V t208 = _mm512_ternarylogic_epi32(t198, t182, t166, 0xE8);
    const V t209 = VROR(t198, 2);
    const V t210 = VROR(t198, 13);
    const V t211 = VROR(t198, 22);
    const V t212 = _mm512_ternarylogic_epi32(t209, t210, t211, 0x96);
    const V t213 = VADD(t212, t208);
    const V t214 = VADD(t207, t213);
    const V t215 = VADD(t150, t207);
    const V t216 = _mm512_ternarylogic_epi32(t215, t199, t183, 0xCA);
    const V t217 = VROR(t215, 6);
    const V t218 = VROR(t215, 11);
    const V t219 = VROR(t215, 25);
    const V t220 = _mm512_ternarylogic_epi32(t217, t218, t219, 0x96);
    const V t221 = VADD(t220, t216);
    const V t222 = VADDK(t221, 0x9bdc06a7u);
    const V t223 = VADD(t167, t222);
    const V t224 = _mm512_ternarylogic_epi32(t214, t198, t182, 0xE8);
    const V t225 = VROR(t214, 2);
    const V t226 = VROR(t214, 13);
    const V t227 = VROR(t214, 22);
    const V t228 = _mm512_ternarylogic_epi32(t225, t226, t227, 0x96);
    const V t229 = VADD(t228, t224);
    const V t230 = VADD(t223, t229);
    const V t231 = VADD(t166, t223);
    const V t232 = _mm512_ternarylogic_epi32(t231, t215, t199, 0xCA);
    const V t233 = VROR(t231, 6);
    const V t234 = VROR(t231, 11);
    const V t235 = VROR(t231, 25);
    const V t236 = _mm512_ternarylogic_epi32(t233, t234, t235, 0x96);
    const V t237 = VADD(t236, t232);
    const V t238 = VADDK(t237, 0xc19bf274u);
    const V t239 = VADD(t183, t238);
    const V t240 = _mm512_ternarylogic_epi32(t230, t214, t198, 0xE8);
    const V t241 = VROR(t230, 2);
    const V t242 = VROR(t230, 13);
    const V t243 = VROR(t230, 22);
    const V t244 = _mm512_ternarylogic_epi32(t241, t242, t243, 0x96);
    const V t245 = VADD(t244, t240);
    const V t246 = VADD(t239, t245);
    const V t247 = VADD(t182, t239);
    const V t248 = VROR(w[1], 7);
    const V t249 = VROR(w[1], 18);
    const V t250 = _mm512_srli_epi32(w[1], 3);
    const V t251 = _mm512_ternarylogic_epi32(t248, t249, t250, 0x96);
    const V t252 = VADD(t251, w[0]);
    const V t253 = _mm512_ternarylogic_epi32(t247, t231, t215, 0xCA);
    const V t254 = VADDK(t252, 0xe49b69c1u);
    const V t255 = VADD(t199, t254);
    const V t256 = VROR(t247, 6);
    const V t257 = VROR(t247, 11);
    const V t258 = VROR(t247, 25);
    const V t259 = _mm512_ternarylogic_epi32(t256, t257, t258, 0x96);
    const V t260 = VADD(t259, t253);
    const V t261 = VADD(t255, t260);
    const V t262 = _mm512_ternarylogic_epi32(t246, t230, t214, 0xE8);
    const V t263 = VROR(t246, 2);
    const V t264 = VROR(t246, 13);
    const V t265 = VROR(t246, 22);
    const V t266 = _mm512_ternarylogic_epi32(t263, t264, t265, 0x96);
    const V t267 = VADD(t266, t262);
    const V t268 = VADD(t261, t267);
    const V t269 = VADD(t198, t261);
    const V t270 = VROR(w[2], 7);
    const V t271 = VROR(w[2], 18);
    const V t272 = _mm512_srli_epi32(w[2], 3);
    const V t273 = _mm512_ternarylogic_epi32(t270, t271, t272, 0x96);
    const V t274 = VADDK(w[1], 0x00a00000u);
    const V t275 = VADD(t273, t274);
    const V t276 = _mm512_ternarylogic_epi32(t269, t247, t231, 0xCA);
    const V t277 = VADDK(t275, 0xefbe4786u);
    const V t278 = VADD(t215, t277);
    const V t279 = VROR(t269, 6);
    const V t280 = VROR(t269, 11);
    const V t281 = VROR(t269, 25);
    const V t282 = _mm512_ternarylogic_epi32(t279, t280, t281, 0x96);
    const V t283 = VADD(t282, t276);
    const V t284 = VADD(t278, t283);
    const V t285 = _mm512_ternarylogic_epi32(t268, t246, t230, 0xE8);
    const V t286 = VROR(t268, 2);
    const V t287 = VROR(t268, 13);
    const V t288 = VROR(t268, 22);
    const V t289 = _mm512_ternarylogic_epi32(t286, t287, t288, 0x96);
    const V t290 = VADD(t289, t285);
    const V t291 = VADD(t284, t290);
    const V t292 = VADD(t214, t284);
    const V t293 = VROR(t252, 17);
    const V t294 = VROR(t252, 19);
    const V t295 = _mm512_srli_epi32(t252, 10);
    const V t296 = _mm512_ternarylogic_epi32(t293, t294, t295, 0x96);
    const V t297 = VROR(w[3], 7);
    const V t298 = VROR(w[3], 18);
    const V t299 = _mm512_srli_epi32(w[3], 3);
    const V t300 = _mm512_ternarylogic_epi32(t297, t298, t299, 0x96);
    const V t301 = VADD(t296, t300);
    const V t302 = VADD(t301, w[2]);
    const V t303 = _mm512_ternarylogic_epi32(t292, t269, t247, 0xCA);
    const V t304 = VADDK(t302, 0x0fc19dc6u);
    const V t305 = VADD(t231, t304);
    const V t306 = VROR(t292, 6);
    const V t307 = VROR(t292, 11);
    const V t308 = VROR(t292, 25);
    const V t309 = _mm512_ternarylogic_epi32(t306, t307, t308, 0x96);
    const V t310 = VADD(t309, t303);
    const V t311 = VADD(t305, t310);
    const V t312 = _mm512_ternarylogic_epi32(t291, t268, t246, 0xE8);
    const V t313 = VROR(t291, 2);
    const V t314 = VROR(t291, 13);
    const V t315 = VROR(t291, 22);
    const V t316 = _mm512_ternarylogic_epi32(t313, t314, t315, 0x96);
    const V t317 = VADD(t316, t312);
    const V t318 = VADD(t311, t317);
    const V t319 = VADD(t230, t311);
    const V t320 = VROR(t275, 17);
    const V t321 = VROR(t275, 19);
    const V t322 = _mm512_srli_epi32(t275, 10);
    const V t323 = _mm512_ternarylogic_epi32(t320, t321, t322, 0x96);
    const V t324 = VROR(w[4], 7);
    const V t325 = VROR(w[4], 18);
    const V t326 = _mm512_srli_epi32(w[4], 3);
    const V t327 = _mm512_ternarylogic_epi32(t324, t325, t326, 0x96);
    const V t328 = VADD(t323, t327);
    const V t329 = VADD(t328, w[3]);
    const V t330 = _mm512_ternarylogic_epi32(t319, t292, t269, 0xCA);
    const V t331 = VADDK(t329, 0x240ca1ccu);
    const V t332 = VADD(t247, t331);
    const V t333 = VROR(t319, 6);
    const V t334 = VROR(t319, 11);
    const V t335 = VROR(t319, 25);
    const V t336 = _mm512_ternarylogic_epi32(t333, t334, t335, 0x96);
    const V t337 = VADD(t336, t330);
    const V t338 = VADD(t332, t337);
    const V t339 = _mm512_ternarylogic_epi32(t318, t291, t268, 0xE8);
    const V t340 = VROR(t318, 2);
    const V t341 = VROR(t318, 13);
    const V t342 = VROR(t318, 22);
    const V t343 = _mm512_ternarylogic_epi32(t340, t341, t342, 0x96);
    const V t344 = VADD(t343, t339);
    const V t345 = VADD(t338, t344);
    const V t346 = VADD(t246, t338);
    const V t347 = VROR(t302, 17);
    const V t348 = VROR(t302, 19);
    const V t349 = _mm512_srli_epi32(t302, 10);
    const V t350 = _mm512_ternarylogic_epi32(t347, t348, t349, 0x96);
    const V t351 = VROR(w[5], 7);
    const V t352 = VROR(w[5], 18);
    const V t353 = _mm512_srli_epi32(w[5], 3);
    const V t354 = _mm512_ternarylogic_epi32(t351, t352, t353, 0x96);
    const V t355 = VADD(t350, t354);
    const V t356 = VADD(t355, w[4]);
    const V t357 = _mm512_ternarylogic_epi32(t346, t319, t292, 0xCA);
    const V t358 = VADDK(t356, 0x2de92c6fu);
    const V t359 = VADD(t269, t358);
    const V t360 = VROR(t346, 6);
    const V t361 = VROR(t346, 11);
    const V t362 = VROR(t346, 25);
    const V t363 = _mm512_ternarylogic_epi32(t360, t361, t362, 0x96);
    const V t364 = VADD(t363, t357);
    const V t365 = VADD(t359, t364);
    const V t366 = _mm512_ternarylogic_epi32(t345, t318, t291, 0xE8);
    const V t367 = VROR(t345, 2);
    const V t368 = VROR(t345, 13);
    const V t369 = VROR(t345, 22);
    const V t370 = _mm512_ternarylogic_epi32(t367, t368, t369, 0x96);
    const V t371 = VADD(t370, t366);
    const V t372 = VADD(t365, t371);
    const V t373 = VADD(t268, t365);
    const V t374 = VROR(t329, 17);
    const V t375 = VROR(t329, 19);
    const V t376 = _mm512_srli_epi32(t329, 10);
    const V t377 = _mm512_ternarylogic_epi32(t374, t375, t376, 0x96);
    const V t378 = VROR(w[6], 7);
    const V t379 = VROR(w[6], 18);
    const V t380 = _mm512_srli_epi32(w[6], 3);
    const V t381 = _mm512_ternarylogic_epi32(t378, t379, t380, 0x96);
    const V t382 = VADD(t377, t381);
    const V t383 = VADD(t382, w[5]);
    const V t384 = _mm512_ternarylogic_epi32(t373, t346, t319, 0xCA);
    const V t385 = VADDK(t383, 0x4a7484aau);
    const V t386 = VADD(t292, t385);
    const V t387 = VROR(t373, 6);
    const V t388 = VROR(t373, 11);
    const V t389 = VROR(t373, 25);
    const V t390 = _mm512_ternarylogic_epi32(t387, t388, t389, 0x96);
    const V t391 = VADD(t390, t384);
    const V t392 = VADD(t386, t391);
    const V t393 = _mm512_ternarylogic_epi32(t372, t345, t318, 0xE8);
    const V t394 = VROR(t372, 2);
    const V t395 = VROR(t372, 13);
    const V t396 = VROR(t372, 22);
    const V t397 = _mm512_ternarylogic_epi32(t394, t395, t396, 0x96);
    const V t398 = VADD(t397, t393);
    const V t399 = VADD(t392, t398);
    const V t400 = VADD(t291, t392);
    const V t401 = VROR(t356, 17);
    const V t402 = VROR(t356, 19);
    const V t403 = _mm512_srli_epi32(t356, 10);
    const V t404 = _mm512_ternarylogic_epi32(t401, t402, t403, 0x96);
    const V t405 = VROR(w[7], 7);
    const V t406 = VROR(w[7], 18);
    const V t407 = _mm512_srli_epi32(w[7], 3);
    const V t408 = _mm512_ternarylogic_epi32(t405, t406, t407, 0x96);
    const V t409 = VADDK(w[6], 0x00000100u);
    const V t410 = VADD(t404, t408);
    const V t411 = VADD(t410, t409);
    const V t412 = _mm512_ternarylogic_epi32(t400, t373, t346, 0xCA);
    const V t413 = VADDK(t411, 0x5cb0a9dcu);
    const V t414 = VADD(t319, t413);
    const V t415 = VROR(t400, 6);
    const V t416 = VROR(t400, 11);
    const V t417 = VROR(t400, 25);
    const V t418 = _mm512_ternarylogic_epi32(t415, t416, t417, 0x96);
    const V t419 = VADD(t418, t412);
    const V t420 = VADD(t414, t419);
    const V t421 = _mm512_ternarylogic_epi32(t399, t372, t345, 0xE8);
    const V t422 = VROR(t399, 2);
    const V t423 = VROR(t399, 13);
    const V t424 = VROR(t399, 22);
    const V t425 = _mm512_ternarylogic_epi32(t422, t423, t424, 0x96);
    const V t426 = VADD(t425, t421);
    const V t427 = VADD(t420, t426);
    const V t428 = VADD(t318, t420);
    const V t429 = VROR(t383, 17);
    const V t430 = VROR(t383, 19);
    const V t431 = _mm512_srli_epi32(t383, 10);
    const V t432 = _mm512_ternarylogic_epi32(t429, t430, t431, 0x96);
    const V t433 = VADDK(w[7], 0x11002000u);
    const V t434 = VADD(t432, t252);
    const V t435 = VADD(t434, t433);
    const V t436 = _mm512_ternarylogic_epi32(t428, t400, t373, 0xCA);
    const V t437 = VADDK(t435, 0x76f988dau);
    const V t438 = VADD(t346, t437);
    const V t439 = VROR(t428, 6);
    const V t440 = VROR(t428, 11);
    const V t441 = VROR(t428, 25);
    const V t442 = _mm512_ternarylogic_epi32(t439, t440, t441, 0x96);
    const V t443 = VADD(t442, t436);
    const V t444 = VADD(t438, t443);
    const V t445 = _mm512_ternarylogic_epi32(t427, t399, t372, 0xE8);
    const V t446 = VROR(t427, 2);
    const V t447 = VROR(t427, 13);
    const V t448 = VROR(t427, 22);
    const V t449 = _mm512_ternarylogic_epi32(t446, t447, t448, 0x96);
    const V t450 = VADD(t449, t445);
    const V t451 = VADD(t444, t450);
    const V t452 = VADD(t345, t444);
    const V t453 = VROR(t411, 17);
    const V t454 = VROR(t411, 19);
    const V t455 = _mm512_srli_epi32(t411, 10);
    const V t456 = _mm512_ternarylogic_epi32(t453, t454, t455, 0x96);
    const V t457 = VADDK(t275, 0x80000000u);
    const V t458 = VADD(t456, t457);
    const V t459 = _mm512_ternarylogic_epi32(t452, t428, t400, 0xCA);
    const V t460 = VADDK(t458, 0x983e5152u);
    const V t461 = VADD(t373, t460);
    const V t462 = VROR(t452, 6);
    const V t463 = VROR(t452, 11);
    const V t464 = VROR(t452, 25);
    const V t465 = _mm512_ternarylogic_epi32(t462, t463, t464, 0x96);
    const V t466 = VADD(t465, t459);
    const V t467 = VADD(t461, t466);
    const V t468 = _mm512_ternarylogic_epi32(t451, t427, t399, 0xE8);
    const V t469 = VROR(t451, 2);
    const V t470 = VROR(t451, 13);
    const V t471 = VROR(t451, 22);
    const V t472 = _mm512_ternarylogic_epi32(t469, t470, t471, 0x96);
    const V t473 = VADD(t472, t468);
    const V t474 = VADD(t467, t473);
    const V t475 = VADD(t372, t467);
    const V t476 = VROR(t435, 17);
    const V t477 = VROR(t435, 19);
    const V t478 = _mm512_srli_epi32(t435, 10);
    const V t479 = _mm512_ternarylogic_epi32(t476, t477, t478, 0x96);
    const V t480 = VADD(t479, t302);
    const V t481 = _mm512_ternarylogic_epi32(t475, t452, t428, 0xCA);
    const V t482 = VADDK(t480, 0xa831c66du);
    const V t483 = VADD(t400, t482);
    const V t484 = VROR(t475, 6);
    const V t485 = VROR(t475, 11);
    const V t486 = VROR(t475, 25);
    const V t487 = _mm512_ternarylogic_epi32(t484, t485, t486, 0x96);
    const V t488 = VADD(t487, t481);
    const V t489 = VADD(t483, t488);
    const V t490 = _mm512_ternarylogic_epi32(t474, t451, t427, 0xE8);
    const V t491 = VROR(t474, 2);
    const V t492 = VROR(t474, 13);
    const V t493 = VROR(t474, 22);
    const V t494 = _mm512_ternarylogic_epi32(t491, t492, t493, 0x96);
    const V t495 = VADD(t494, t490);
    const V t496 = VADD(t489, t495);
    const V t497 = VADD(t399, t489);
    const V t498 = VROR(t458, 17);
    const V t499 = VROR(t458, 19);
    const V t500 = _mm512_srli_epi32(t458, 10);
    const V t501 = _mm512_ternarylogic_epi32(t498, t499, t500, 0x96);
    const V t502 = VADD(t501, t329);
    const V t503 = _mm512_ternarylogic_epi32(t497, t475, t452, 0xCA);
    const V t504 = VADDK(t502, 0xb00327c8u);
    const V t505 = VADD(t428, t504);
    const V t506 = VROR(t497, 6);
    const V t507 = VROR(t497, 11);
    const V t508 = VROR(t497, 25);
    const V t509 = _mm512_ternarylogic_epi32(t506, t507, t508, 0x96);
    const V t510 = VADD(t509, t503);
    const V t511 = VADD(t505, t510);
    const V t512 = _mm512_ternarylogic_epi32(t496, t474, t451, 0xE8);
    const V t513 = VROR(t496, 2);
    const V t514 = VROR(t496, 13);
    const V t515 = VROR(t496, 22);
    const V t516 = _mm512_ternarylogic_epi32(t513, t514, t515, 0x96);
    const V t517 = VADD(t516, t512);
    const V t518 = VADD(t511, t517);
    const V t519 = VADD(t427, t511);
    const V t520 = VROR(t480, 17);
    const V t521 = VROR(t480, 19);
    const V t522 = _mm512_srli_epi32(t480, 10);
    const V t523 = _mm512_ternarylogic_epi32(t520, t521, t522, 0x96);
    const V t524 = VADD(t523, t356);
    const V t525 = _mm512_ternarylogic_epi32(t519, t497, t475, 0xCA);
    const V t526 = VADDK(t524, 0xbf597fc7u);
    const V t527 = VADD(t452, t526);
    const V t528 = VROR(t519, 6);
    const V t529 = VROR(t519, 11);
    const V t530 = VROR(t519, 25);
    const V t531 = _mm512_ternarylogic_epi32(t528, t529, t530, 0x96);
    const V t532 = VADD(t531, t525);
    const V t533 = VADD(t527, t532);
    const V t534 = _mm512_ternarylogic_epi32(t518, t496, t474, 0xE8);
    const V t535 = VROR(t518, 2);
    const V t536 = VROR(t518, 13);
    const V t537 = VROR(t518, 22);
    const V t538 = _mm512_ternarylogic_epi32(t535, t536, t537, 0x96);
    const V t539 = VADD(t538, t534);
    const V t540 = VADD(t533, t539);
    const V t541 = VADD(t451, t533);
    const V t542 = VROR(t502, 17);
    const V t543 = VROR(t502, 19);
    const V t544 = _mm512_srli_epi32(t502, 10);
    const V t545 = _mm512_ternarylogic_epi32(t542, t543, t544, 0x96);
    const V t546 = VADD(t545, t383);
    const V t547 = _mm512_ternarylogic_epi32(t541, t519, t497, 0xCA);
    const V t548 = VADDK(t546, 0xc6e00bf3u);
    const V t549 = VADD(t475, t548);
    const V t550 = VROR(t541, 6);
    const V t551 = VROR(t541, 11);
    const V t552 = VROR(t541, 25);
    const V t553 = _mm512_ternarylogic_epi32(t550, t551, t552, 0x96);
    const V t554 = VADD(t553, t547);
    const V t555 = VADD(t549, t554);
    const V t556 = _mm512_ternarylogic_epi32(t540, t518, t496, 0xE8);
    const V t557 = VROR(t540, 2);
    const V t558 = VROR(t540, 13);
    const V t559 = VROR(t540, 22);
    const V t560 = _mm512_ternarylogic_epi32(t557, t558, t559, 0x96);
    const V t561 = VADD(t560, t556);
    const V t562 = VADD(t555, t561);
    const V t563 = VADD(t474, t555);
    const V t564 = VROR(t524, 17);
    const V t565 = VROR(t524, 19);
    const V t566 = _mm512_srli_epi32(t524, 10);
    const V t567 = _mm512_ternarylogic_epi32(t564, t565, t566, 0x96);
    const V t568 = VADD(t567, t411);
    const V t569 = _mm512_ternarylogic_epi32(t563, t541, t519, 0xCA);
    const V t570 = VADDK(t568, 0xd5a79147u);
    const V t571 = VADD(t497, t570);
    const V t572 = VROR(t563, 6);
    const V t573 = VROR(t563, 11);
    const V t574 = VROR(t563, 25);
    const V t575 = _mm512_ternarylogic_epi32(t572, t573, t574, 0x96);
    const V t576 = VADD(t575, t569);
    const V t577 = VADD(t571, t576);
    const V t578 = _mm512_ternarylogic_epi32(t562, t540, t518, 0xE8);
    const V t579 = VROR(t562, 2);
    const V t580 = VROR(t562, 13);
    const V t581 = VROR(t562, 22);
    const V t582 = _mm512_ternarylogic_epi32(t579, t580, t581, 0x96);
    const V t583 = VADD(t582, t578);
    const V t584 = VADD(t577, t583);
    const V t585 = VADD(t496, t577);
    const V t586 = VROR(t546, 17);
    const V t587 = VROR(t546, 19);
    const V t588 = _mm512_srli_epi32(t546, 10);
    const V t589 = _mm512_ternarylogic_epi32(t586, t587, t588, 0x96);
    const V t590 = VADDK(t435, 0x00400022u);
    const V t591 = VADD(t589, t590);
    const V t592 = _mm512_ternarylogic_epi32(t585, t563, t541, 0xCA);
    const V t593 = VADDK(t591, 0x06ca6351u);
    const V t594 = VADD(t519, t593);
    const V t595 = VROR(t585, 6);
    const V t596 = VROR(t585, 11);
    const V t597 = VROR(t585, 25);
    const V t598 = _mm512_ternarylogic_epi32(t595, t596, t597, 0x96);
    const V t599 = VADD(t598, t592);
    const V t600 = VADD(t594, t599);
    const V t601 = _mm512_ternarylogic_epi32(t584, t562, t540, 0xE8);
    const V t602 = VROR(t584, 2);
    const V t603 = VROR(t584, 13);
    const V t604 = VROR(t584, 22);
    const V t605 = _mm512_ternarylogic_epi32(t602, t603, t604, 0x96);
    const V t606 = VADD(t605, t601);
    const V t607 = VADD(t600, t606);
    const V t608 = VADD(t518, t600);
    const V t609 = VROR(t568, 17);
    const V t610 = VROR(t568, 19);
    const V t611 = _mm512_srli_epi32(t568, 10);
    const V t612 = _mm512_ternarylogic_epi32(t609, t610, t611, 0x96);
    const V t613 = VROR(t252, 7);
    const V t614 = VROR(t252, 18);
    const V t615 = _mm512_srli_epi32(t252, 3);
    const V t616 = _mm512_ternarylogic_epi32(t613, t614, t615, 0x96);
    const V t617 = VADDK(t616, 0x00000100u);
    const V t618 = VADD(t612, t458);
    const V t619 = VADD(t618, t617);
    const V t620 = _mm512_ternarylogic_epi32(t608, t585, t563, 0xCA);
    const V t621 = VADDK(t619, 0x14292967u);
    const V t622 = VADD(t541, t621);
    const V t623 = VROR(t608, 6);
    const V t624 = VROR(t608, 11);
    const V t625 = VROR(t608, 25);
    const V t626 = _mm512_ternarylogic_epi32(t623, t624, t625, 0x96);
    const V t627 = VADD(t626, t620);
    const V t628 = VADD(t622, t627);
    const V t629 = _mm512_ternarylogic_epi32(t607, t584, t562, 0xE8);
    const V t630 = VROR(t607, 2);
    const V t631 = VROR(t607, 13);
    const V t632 = VROR(t607, 22);
    const V t633 = _mm512_ternarylogic_epi32(t630, t631, t632, 0x96);
    const V t634 = VADD(t633, t629);
    const V t635 = VADD(t628, t634);
    const V t636 = VADD(t540, t628);
    const V t637 = VROR(t591, 17);
    const V t638 = VROR(t591, 19);
    const V t639 = _mm512_srli_epi32(t591, 10);
    const V t640 = _mm512_ternarylogic_epi32(t637, t638, t639, 0x96);
    const V t641 = VROR(t275, 7);
    const V t642 = VROR(t275, 18);
    const V t643 = _mm512_srli_epi32(t275, 3);
    const V t644 = _mm512_ternarylogic_epi32(t641, t642, t643, 0x96);
    const V t645 = VADD(t640, t480);
    const V t646 = VADD(t644, t252);
    const V t647 = VADD(t645, t646);
    const V t648 = _mm512_ternarylogic_epi32(t636, t608, t585, 0xCA);
    const V t649 = VADDK(t647, 0x27b70a85u);
    const V t650 = VADD(t563, t649);
    const V t651 = VROR(t636, 6);
    const V t652 = VROR(t636, 11);
    const V t653 = VROR(t636, 25);
    const V t654 = _mm512_ternarylogic_epi32(t651, t652, t653, 0x96);
    const V t655 = VADD(t654, t648);
    const V t656 = VADD(t650, t655);
    const V t657 = _mm512_ternarylogic_epi32(t635, t607, t584, 0xE8);
    const V t658 = VROR(t635, 2);
    const V t659 = VROR(t635, 13);
    const V t660 = VROR(t635, 22);
    const V t661 = _mm512_ternarylogic_epi32(t658, t659, t660, 0x96);
    const V t662 = VADD(t661, t657);
    const V t663 = VADD(t656, t662);
    const V t664 = VADD(t562, t656);
    const V t665 = VROR(t619, 17);
    const V t666 = VROR(t619, 19);
    const V t667 = _mm512_srli_epi32(t619, 10);
    const V t668 = _mm512_ternarylogic_epi32(t665, t666, t667, 0x96);
    const V t669 = VROR(t302, 7);
    const V t670 = VROR(t302, 18);
    const V t671 = _mm512_srli_epi32(t302, 3);
    const V t672 = _mm512_ternarylogic_epi32(t669, t670, t671, 0x96);
    const V t673 = VADD(t668, t502);
    const V t674 = VADD(t672, t275);
    const V t675 = VADD(t673, t674);
    const V t676 = _mm512_ternarylogic_epi32(t664, t636, t608, 0xCA);
    const V t677 = VADDK(t675, 0x2e1b2138u);
    const V t678 = VADD(t585, t677);
    const V t679 = VROR(t664, 6);
    const V t680 = VROR(t664, 11);
    const V t681 = VROR(t664, 25);
    const V t682 = _mm512_ternarylogic_epi32(t679, t680, t681, 0x96);
    const V t683 = VADD(t682, t676);
    const V t684 = VADD(t678, t683);
    const V t685 = _mm512_ternarylogic_epi32(t663, t635, t607, 0xE8);
    const V t686 = VROR(t663, 2);
    const V t687 = VROR(t663, 13);
    const V t688 = VROR(t663, 22);
    const V t689 = _mm512_ternarylogic_epi32(t686, t687, t688, 0x96);
    const V t690 = VADD(t689, t685);
    const V t691 = VADD(t684, t690);
    const V t692 = VADD(t584, t684);
    const V t693 = VROR(t647, 17);
    const V t694 = VROR(t647, 19);
    const V t695 = _mm512_srli_epi32(t647, 10);
    const V t696 = _mm512_ternarylogic_epi32(t693, t694, t695, 0x96);
    const V t697 = VROR(t329, 7);
    const V t698 = VROR(t329, 18);
    const V t699 = _mm512_srli_epi32(t329, 3);
    const V t700 = _mm512_ternarylogic_epi32(t697, t698, t699, 0x96);
    const V t701 = VADD(t696, t524);
    const V t702 = VADD(t700, t302);
    const V t703 = VADD(t701, t702);
    const V t704 = _mm512_ternarylogic_epi32(t692, t664, t636, 0xCA);
    const V t705 = VADDK(t703, 0x4d2c6dfcu);
    const V t706 = VADD(t608, t705);
    const V t707 = VROR(t692, 6);
    const V t708 = VROR(t692, 11);
    const V t709 = VROR(t692, 25);
    const V t710 = _mm512_ternarylogic_epi32(t707, t708, t709, 0x96);
    const V t711 = VADD(t710, t704);
    const V t712 = VADD(t706, t711);
    const V t713 = _mm512_ternarylogic_epi32(t691, t663, t635, 0xE8);
    const V t714 = VROR(t691, 2);
    const V t715 = VROR(t691, 13);
    const V t716 = VROR(t691, 22);
    const V t717 = _mm512_ternarylogic_epi32(t714, t715, t716, 0x96);
    const V t718 = VADD(t717, t713);
    const V t719 = VADD(t712, t718);
    const V t720 = VADD(t607, t712);
    const V t721 = VROR(t675, 17);
    const V t722 = VROR(t675, 19);
    const V t723 = _mm512_srli_epi32(t675, 10);
    const V t724 = _mm512_ternarylogic_epi32(t721, t722, t723, 0x96);
    const V t725 = VROR(t356, 7);
    const V t726 = VROR(t356, 18);
    const V t727 = _mm512_srli_epi32(t356, 3);
    const V t728 = _mm512_ternarylogic_epi32(t725, t726, t727, 0x96);
    const V t729 = VADD(t724, t546);
    const V t730 = VADD(t728, t329);
    const V t731 = VADD(t729, t730);
    const V t732 = _mm512_ternarylogic_epi32(t720, t692, t664, 0xCA);
    const V t733 = VADDK(t731, 0x53380d13u);
    const V t734 = VADD(t636, t733);
    const V t735 = VROR(t720, 6);
    const V t736 = VROR(t720, 11);
    const V t737 = VROR(t720, 25);
    const V t738 = _mm512_ternarylogic_epi32(t735, t736, t737, 0x96);
    const V t739 = VADD(t738, t732);
    const V t740 = VADD(t734, t739);
    const V t741 = _mm512_ternarylogic_epi32(t719, t691, t663, 0xE8);
    const V t742 = VROR(t719, 2);
    const V t743 = VROR(t719, 13);
    const V t744 = VROR(t719, 22);
    const V t745 = _mm512_ternarylogic_epi32(t742, t743, t744, 0x96);
    const V t746 = VADD(t745, t741);
    const V t747 = VADD(t740, t746);
    const V t748 = VADD(t635, t740);
    const V t749 = VROR(t703, 17);
    const V t750 = VROR(t703, 19);
    const V t751 = _mm512_srli_epi32(t703, 10);
    const V t752 = _mm512_ternarylogic_epi32(t749, t750, t751, 0x96);
    const V t753 = VROR(t383, 7);
    const V t754 = VROR(t383, 18);
    const V t755 = _mm512_srli_epi32(t383, 3);
    const V t756 = _mm512_ternarylogic_epi32(t753, t754, t755, 0x96);
    const V t757 = VADD(t752, t568);
    const V t758 = VADD(t756, t356);
    const V t759 = VADD(t757, t758);
    const V t760 = _mm512_ternarylogic_epi32(t748, t720, t692, 0xCA);
    const V t761 = VADDK(t759, 0x650a7354u);
    const V t762 = VADD(t664, t761);
    const V t763 = VROR(t748, 6);
    const V t764 = VROR(t748, 11);
    const V t765 = VROR(t748, 25);
    const V t766 = _mm512_ternarylogic_epi32(t763, t764, t765, 0x96);
    const V t767 = VADD(t766, t760);
    const V t768 = VADD(t762, t767);
    const V t769 = _mm512_ternarylogic_epi32(t747, t719, t691, 0xE8);
    const V t770 = VROR(t747, 2);
    const V t771 = VROR(t747, 13);
    const V t772 = VROR(t747, 22);
    const V t773 = _mm512_ternarylogic_epi32(t770, t771, t772, 0x96);
    const V t774 = VADD(t773, t769);
    const V t775 = VADD(t768, t774);
    const V t776 = VADD(t663, t768);
    const V t777 = VROR(t731, 17);
    const V t778 = VROR(t731, 19);
    const V t779 = _mm512_srli_epi32(t731, 10);
    const V t780 = _mm512_ternarylogic_epi32(t777, t778, t779, 0x96);
    const V t781 = VROR(t411, 7);
    const V t782 = VROR(t411, 18);
    const V t783 = _mm512_srli_epi32(t411, 3);
    const V t784 = _mm512_ternarylogic_epi32(t781, t782, t783, 0x96);
    const V t785 = VADD(t780, t591);
    const V t786 = VADD(t784, t383);
    const V t787 = VADD(t785, t786);
    const V t788 = _mm512_ternarylogic_epi32(t776, t748, t720, 0xCA);
    const V t789 = VADDK(t787, 0x766a0abbu);
    const V t790 = VADD(t692, t789);
    const V t791 = VROR(t776, 6);
    const V t792 = VROR(t776, 11);
    const V t793 = VROR(t776, 25);
    const V t794 = _mm512_ternarylogic_epi32(t791, t792, t793, 0x96);
    const V t795 = VADD(t794, t788);
    const V t796 = VADD(t790, t795);
    const V t797 = _mm512_ternarylogic_epi32(t775, t747, t719, 0xE8);
    const V t798 = VROR(t775, 2);
    const V t799 = VROR(t775, 13);
    const V t800 = VROR(t775, 22);
    const V t801 = _mm512_ternarylogic_epi32(t798, t799, t800, 0x96);
    const V t802 = VADD(t801, t797);
    const V t803 = VADD(t796, t802);
    const V t804 = VADD(t691, t796);
    const V t805 = VROR(t759, 17);
    const V t806 = VROR(t759, 19);
    const V t807 = _mm512_srli_epi32(t759, 10);
    const V t808 = _mm512_ternarylogic_epi32(t805, t806, t807, 0x96);
    const V t809 = VROR(t435, 7);
    const V t810 = VROR(t435, 18);
    const V t811 = _mm512_srli_epi32(t435, 3);
    const V t812 = _mm512_ternarylogic_epi32(t809, t810, t811, 0x96);
    const V t813 = VADD(t808, t619);
    const V t814 = VADD(t812, t411);
    const V t815 = VADD(t813, t814);
    const V t816 = _mm512_ternarylogic_epi32(t804, t776, t748, 0xCA);
    const V t817 = VADDK(t815, 0x81c2c92eu);
    const V t818 = VADD(t720, t817);
    const V t819 = VROR(t804, 6);
    const V t820 = VROR(t804, 11);
    const V t821 = VROR(t804, 25);
    const V t822 = _mm512_ternarylogic_epi32(t819, t820, t821, 0x96);
    const V t823 = VADD(t822, t816);
    const V t824 = VADD(t818, t823);
    const V t825 = _mm512_ternarylogic_epi32(t803, t775, t747, 0xE8);
    const V t826 = VROR(t803, 2);
    const V t827 = VROR(t803, 13);
    const V t828 = VROR(t803, 22);
    const V t829 = _mm512_ternarylogic_epi32(t826, t827, t828, 0x96);
    const V t830 = VADD(t829, t825);
    const V t831 = VADD(t824, t830);
    const V t832 = VADD(t719, t824);
    const V t833 = VROR(t787, 17);
    const V t834 = VROR(t787, 19);
    const V t835 = _mm512_srli_epi32(t787, 10);
    const V t836 = _mm512_ternarylogic_epi32(t833, t834, t835, 0x96);
    const V t837 = VROR(t458, 7);
    const V t838 = VROR(t458, 18);
    const V t839 = _mm512_srli_epi32(t458, 3);
    const V t840 = _mm512_ternarylogic_epi32(t837, t838, t839, 0x96);
    const V t841 = VADD(t836, t647);
    const V t842 = VADD(t840, t435);
    const V t843 = VADD(t841, t842);
    const V t844 = _mm512_ternarylogic_epi32(t832, t804, t776, 0xCA);
    const V t845 = VADDK(t843, 0x92722c85u);
    const V t846 = VADD(t748, t845);
    const V t847 = VROR(t832, 6);
    const V t848 = VROR(t832, 11);
    const V t849 = VROR(t832, 25);
    const V t850 = _mm512_ternarylogic_epi32(t847, t848, t849, 0x96);
    const V t851 = VADD(t850, t844);
    const V t852 = VADD(t846, t851);
    const V t853 = _mm512_ternarylogic_epi32(t831, t803, t775, 0xE8);
    const V t854 = VROR(t831, 2);
    const V t855 = VROR(t831, 13);
    const V t856 = VROR(t831, 22);
    const V t857 = _mm512_ternarylogic_epi32(t854, t855, t856, 0x96);
    const V t858 = VADD(t857, t853);
    const V t859 = VADD(t852, t858);
    const V t860 = VADD(t747, t852);
    const V t861 = VROR(t815, 17);
    const V t862 = VROR(t815, 19);
    const V t863 = _mm512_srli_epi32(t815, 10);
    const V t864 = _mm512_ternarylogic_epi32(t861, t862, t863, 0x96);
    const V t865 = VROR(t480, 7);
    const V t866 = VROR(t480, 18);
    const V t867 = _mm512_srli_epi32(t480, 3);
    const V t868 = _mm512_ternarylogic_epi32(t865, t866, t867, 0x96);
    const V t869 = VADD(t864, t675);
    const V t870 = VADD(t868, t458);
    const V t871 = VADD(t869, t870);
    const V t872 = _mm512_ternarylogic_epi32(t860, t832, t804, 0xCA);
    const V t873 = VADDK(t871, 0xa2bfe8a1u);
    const V t874 = VADD(t776, t873);
    const V t875 = VROR(t860, 6);
    const V t876 = VROR(t860, 11);
    const V t877 = VROR(t860, 25);
    const V t878 = _mm512_ternarylogic_epi32(t875, t876, t877, 0x96);
    const V t879 = VADD(t878, t872);
    const V t880 = VADD(t874, t879);
    const V t881 = _mm512_ternarylogic_epi32(t859, t831, t803, 0xE8);
    const V t882 = VROR(t859, 2);
    const V t883 = VROR(t859, 13);
    const V t884 = VROR(t859, 22);
    const V t885 = _mm512_ternarylogic_epi32(t882, t883, t884, 0x96);
    const V t886 = VADD(t885, t881);
    const V t887 = VADD(t880, t886);
    const V t888 = VADD(t775, t880);
    const V t889 = VROR(t843, 17);
    const V t890 = VROR(t843, 19);
    const V t891 = _mm512_srli_epi32(t843, 10);
    const V t892 = _mm512_ternarylogic_epi32(t889, t890, t891, 0x96);
    const V t893 = VROR(t502, 7);
    const V t894 = VROR(t502, 18);
    const V t895 = _mm512_srli_epi32(t502, 3);
    const V t896 = _mm512_ternarylogic_epi32(t893, t894, t895, 0x96);
    const V t897 = VADD(t892, t703);
    const V t898 = VADD(t896, t480);
    const V t899 = VADD(t897, t898);
    const V t900 = _mm512_ternarylogic_epi32(t888, t860, t832, 0xCA);
    const V t901 = VADDK(t899, 0xa81a664bu);
    const V t902 = VADD(t804, t901);
    const V t903 = VROR(t888, 6);
    const V t904 = VROR(t888, 11);
    const V t905 = VROR(t888, 25);
    const V t906 = _mm512_ternarylogic_epi32(t903, t904, t905, 0x96);
    const V t907 = VADD(t906, t900);
    const V t908 = VADD(t902, t907);
    const V t909 = _mm512_ternarylogic_epi32(t887, t859, t831, 0xE8);
    const V t910 = VROR(t887, 2);
    const V t911 = VROR(t887, 13);
    const V t912 = VROR(t887, 22);
    const V t913 = _mm512_ternarylogic_epi32(t910, t911, t912, 0x96);
    const V t914 = VADD(t913, t909);
    const V t915 = VADD(t908, t914);
    const V t916 = VADD(t803, t908);
    const V t917 = VROR(t871, 17);
    const V t918 = VROR(t871, 19);
    const V t919 = _mm512_srli_epi32(t871, 10);
    const V t920 = _mm512_ternarylogic_epi32(t917, t918, t919, 0x96);
    const V t921 = VROR(t524, 7);
    const V t922 = VROR(t524, 18);
    const V t923 = _mm512_srli_epi32(t524, 3);
    const V t924 = _mm512_ternarylogic_epi32(t921, t922, t923, 0x96);
    const V t925 = VADD(t920, t731);
    const V t926 = VADD(t924, t502);
    const V t927 = VADD(t925, t926);
    const V t928 = _mm512_ternarylogic_epi32(t916, t888, t860, 0xCA);
    const V t929 = VADDK(t927, 0xc24b8b70u);
    const V t930 = VADD(t832, t929);
    const V t931 = VROR(t916, 6);
    const V t932 = VROR(t916, 11);
    const V t933 = VROR(t916, 25);
    const V t934 = _mm512_ternarylogic_epi32(t931, t932, t933, 0x96);
    const V t935 = VADD(t934, t928);
    const V t936 = VADD(t930, t935);
    const V t937 = _mm512_ternarylogic_epi32(t915, t887, t859, 0xE8);
    const V t938 = VROR(t915, 2);
    const V t939 = VROR(t915, 13);
    const V t940 = VROR(t915, 22);
    const V t941 = _mm512_ternarylogic_epi32(t938, t939, t940, 0x96);
    const V t942 = VADD(t941, t937);
    const V t943 = VADD(t936, t942);
    const V t944 = VADD(t831, t936);
    const V t945 = VROR(t899, 17);
    const V t946 = VROR(t899, 19);
    const V t947 = _mm512_srli_epi32(t899, 10);
    const V t948 = _mm512_ternarylogic_epi32(t945, t946, t947, 0x96);
    const V t949 = VROR(t546, 7);
    const V t950 = VROR(t546, 18);
    const V t951 = _mm512_srli_epi32(t546, 3);
    const V t952 = _mm512_ternarylogic_epi32(t949, t950, t951, 0x96);
    const V t953 = VADD(t948, t759);
    const V t954 = VADD(t952, t524);
    const V t955 = VADD(t953, t954);
    const V t956 = _mm512_ternarylogic_epi32(t944, t916, t888, 0xCA);
    const V t957 = VADDK(t955, 0xc76c51a3u);
    const V t958 = VADD(t860, t957);
    const V t959 = VROR(t944, 6);
    const V t960 = VROR(t944, 11);
    const V t961 = VROR(t944, 25);
    const V t962 = _mm512_ternarylogic_epi32(t959, t960, t961, 0x96);
    const V t963 = VADD(t962, t956);
    const V t964 = VADD(t958, t963);
    const V t965 = _mm512_ternarylogic_epi32(t943, t915, t887, 0xE8);
    const V t966 = VROR(t943, 2);
    const V t967 = VROR(t943, 13);
    const V t968 = VROR(t943, 22);
    const V t969 = _mm512_ternarylogic_epi32(t966, t967, t968, 0x96);
    const V t970 = VADD(t969, t965);
    const V t971 = VADD(t964, t970);
    const V t972 = VADD(t859, t964);
    const V t973 = VROR(t927, 17);
    const V t974 = VROR(t927, 19);
    const V t975 = _mm512_srli_epi32(t927, 10);
    const V t976 = _mm512_ternarylogic_epi32(t973, t974, t975, 0x96);
    const V t977 = VROR(t568, 7);
    const V t978 = VROR(t568, 18);
    const V t979 = _mm512_srli_epi32(t568, 3);
    const V t980 = _mm512_ternarylogic_epi32(t977, t978, t979, 0x96);
    const V t981 = VADD(t976, t787);
    const V t982 = VADD(t980, t546);
    const V t983 = VADD(t981, t982);
    const V t984 = _mm512_ternarylogic_epi32(t972, t944, t916, 0xCA);
    const V t985 = VADDK(t983, 0xd192e819u);
    const V t986 = VADD(t888, t985);
    const V t987 = VROR(t972, 6);
    const V t988 = VROR(t972, 11);
    const V t989 = VROR(t972, 25);
    const V t990 = _mm512_ternarylogic_epi32(t987, t988, t989, 0x96);
    const V t991 = VADD(t990, t984);
    const V t992 = VADD(t986, t991);
    const V t993 = _mm512_ternarylogic_epi32(t971, t943, t915, 0xE8);
    const V t994 = VROR(t971, 2);
    const V t995 = VROR(t971, 13);
    const V t996 = VROR(t971, 22);
    const V t997 = _mm512_ternarylogic_epi32(t994, t995, t996, 0x96);
    const V t998 = VADD(t997, t993);
    const V t999 = VADD(t992, t998);
    const V t1000 = VADD(t887, t992);
    const V t1001 = VROR(t955, 17);
    const V t1002 = VROR(t955, 19);
    const V t1003 = _mm512_srli_epi32(t955, 10);
    const V t1004 = _mm512_ternarylogic_epi32(t1001, t1002, t1003, 0x96);
    const V t1005 = VROR(t591, 7);
    const V t1006 = VROR(t591, 18);
    const V t1007 = _mm512_srli_epi32(t591, 3);
    const V t1008 = _mm512_ternarylogic_epi32(t1005, t1006, t1007, 0x96);
    const V t1009 = VADD(t1004, t815);
    const V t1010 = VADD(t1008, t568);
    const V t1011 = VADD(t1009, t1010);
    const V t1012 = _mm512_ternarylogic_epi32(t1000, t972, t944, 0xCA);
    const V t1013 = VADDK(t1011, 0xd6990624u);
    const V t1014 = VADD(t916, t1013);
    const V t1015 = VROR(t1000, 6);
    const V t1016 = VROR(t1000, 11);
    const V t1017 = VROR(t1000, 25);
    const V t1018 = _mm512_ternarylogic_epi32(t1015, t1016, t1017, 0x96);
    const V t1019 = VADD(t1018, t1012);
    const V t1020 = VADD(t1014, t1019);
    const V t1021 = _mm512_ternarylogic_epi32(t999, t971, t943, 0xE8);
    const V t1022 = VROR(t999, 2);
    const V t1023 = VROR(t999, 13);
    const V t1024 = VROR(t999, 22);
    const V t1025 = _mm512_ternarylogic_epi32(t1022, t1023, t1024, 0x96);
    const V t1026 = VADD(t1025, t1021);
    const V t1027 = VADD(t1020, t1026);
    const V t1028 = VADD(t915, t1020);
    const V t1029 = VROR(t983, 17);
    const V t1030 = VROR(t983, 19);
    const V t1031 = _mm512_srli_epi32(t983, 10);
    const V t1032 = _mm512_ternarylogic_epi32(t1029, t1030, t1031, 0x96);
    const V t1033 = VROR(t619, 7);
    const V t1034 = VROR(t619, 18);
    const V t1035 = _mm512_srli_epi32(t619, 3);
    const V t1036 = _mm512_ternarylogic_epi32(t1033, t1034, t1035, 0x96);
    const V t1037 = VADD(t1032, t843);
    const V t1038 = VADD(t1036, t591);
    const V t1039 = VADD(t1037, t1038);
    const V t1040 = _mm512_ternarylogic_epi32(t1028, t1000, t972, 0xCA);
    const V t1041 = VADDK(t1039, 0xf40e3585u);
    const V t1042 = VADD(t944, t1041);
    const V t1043 = VROR(t1028, 6);
    const V t1044 = VROR(t1028, 11);
    const V t1045 = VROR(t1028, 25);
    const V t1046 = _mm512_ternarylogic_epi32(t1043, t1044, t1045, 0x96);
    const V t1047 = VADD(t1046, t1040);
    const V t1048 = VADD(t1042, t1047);
    const V t1049 = _mm512_ternarylogic_epi32(t1027, t999, t971, 0xE8);
    const V t1050 = VROR(t1027, 2);
    const V t1051 = VROR(t1027, 13);
    const V t1052 = VROR(t1027, 22);
    const V t1053 = _mm512_ternarylogic_epi32(t1050, t1051, t1052, 0x96);
    const V t1054 = VADD(t1053, t1049);
    const V t1055 = VADD(t1048, t1054);
    const V t1056 = VADD(t943, t1048);
    const V t1057 = VROR(t1011, 17);
    const V t1058 = VROR(t1011, 19);
    const V t1059 = _mm512_srli_epi32(t1011, 10);
    const V t1060 = _mm512_ternarylogic_epi32(t1057, t1058, t1059, 0x96);
    const V t1061 = VROR(t647, 7);
    const V t1062 = VROR(t647, 18);
    const V t1063 = _mm512_srli_epi32(t647, 3);
    const V t1064 = _mm512_ternarylogic_epi32(t1061, t1062, t1063, 0x96);
    const V t1065 = VADD(t1060, t871);
    const V t1066 = VADD(t1064, t619);
    const V t1067 = VADD(t1065, t1066);
    const V t1068 = _mm512_ternarylogic_epi32(t1056, t1028, t1000, 0xCA);
    const V t1069 = VADDK(t1067, 0x106aa070u);
    const V t1070 = VADD(t972, t1069);
    const V t1071 = VROR(t1056, 6);
    const V t1072 = VROR(t1056, 11);
    const V t1073 = VROR(t1056, 25);
    const V t1074 = _mm512_ternarylogic_epi32(t1071, t1072, t1073, 0x96);
    const V t1075 = VADD(t1074, t1068);
    const V t1076 = VADD(t1070, t1075);
    const V t1077 = _mm512_ternarylogic_epi32(t1055, t1027, t999, 0xE8);
    const V t1078 = VROR(t1055, 2);
    const V t1079 = VROR(t1055, 13);
    const V t1080 = VROR(t1055, 22);
    const V t1081 = _mm512_ternarylogic_epi32(t1078, t1079, t1080, 0x96);
    const V t1082 = VADD(t1081, t1077);
    const V t1083 = VADD(t1076, t1082);
    const V t1084 = VADD(t971, t1076);
    const V t1085 = VROR(t1039, 17);
    const V t1086 = VROR(t1039, 19);
    const V t1087 = _mm512_srli_epi32(t1039, 10);
    const V t1088 = _mm512_ternarylogic_epi32(t1085, t1086, t1087, 0x96);
    const V t1089 = VROR(t675, 7);
    const V t1090 = VROR(t675, 18);
    const V t1091 = _mm512_srli_epi32(t675, 3);
    const V t1092 = _mm512_ternarylogic_epi32(t1089, t1090, t1091, 0x96);
    const V t1093 = VADD(t1088, t899);
    const V t1094 = VADD(t1092, t647);
    const V t1095 = VADD(t1093, t1094);
    const V t1096 = _mm512_ternarylogic_epi32(t1084, t1056, t1028, 0xCA);
    const V t1097 = VADDK(t1095, 0x19a4c116u);
    const V t1098 = VADD(t1000, t1097);
    const V t1099 = VROR(t1084, 6);
    const V t1100 = VROR(t1084, 11);
    const V t1101 = VROR(t1084, 25);
    const V t1102 = _mm512_ternarylogic_epi32(t1099, t1100, t1101, 0x96);
    const V t1103 = VADD(t1102, t1096);
    const V t1104 = VADD(t1098, t1103);
    const V t1105 = _mm512_ternarylogic_epi32(t1083, t1055, t1027, 0xE8);
    const V t1106 = VROR(t1083, 2);
    const V t1107 = VROR(t1083, 13);
    const V t1108 = VROR(t1083, 22);
    const V t1109 = _mm512_ternarylogic_epi32(t1106, t1107, t1108, 0x96);
    const V t1110 = VADD(t1109, t1105);
    const V t1111 = VADD(t1104, t1110);
    const V t1112 = VADD(t999, t1104);
    const V t1113 = VROR(t1067, 17);
    const V t1114 = VROR(t1067, 19);
    const V t1115 = _mm512_srli_epi32(t1067, 10);
    const V t1116 = _mm512_ternarylogic_epi32(t1113, t1114, t1115, 0x96);
    const V t1117 = VROR(t703, 7);
    const V t1118 = VROR(t703, 18);
    const V t1119 = _mm512_srli_epi32(t703, 3);
    const V t1120 = _mm512_ternarylogic_epi32(t1117, t1118, t1119, 0x96);
    const V t1121 = VADD(t1116, t927);
    const V t1122 = VADD(t1120, t675);
    const V t1123 = VADD(t1121, t1122);
    const V t1124 = _mm512_ternarylogic_epi32(t1112, t1084, t1056, 0xCA);
    const V t1125 = VADDK(t1123, 0x1e376c08u);
    const V t1126 = VADD(t1028, t1125);
    const V t1127 = VROR(t1112, 6);
    const V t1128 = VROR(t1112, 11);
    const V t1129 = VROR(t1112, 25);
    const V t1130 = _mm512_ternarylogic_epi32(t1127, t1128, t1129, 0x96);
    const V t1131 = VADD(t1130, t1124);
    const V t1132 = VADD(t1126, t1131);
    const V t1133 = _mm512_ternarylogic_epi32(t1111, t1083, t1055, 0xE8);
    const V t1134 = VROR(t1111, 2);
    const V t1135 = VROR(t1111, 13);
    const V t1136 = VROR(t1111, 22);
    const V t1137 = _mm512_ternarylogic_epi32(t1134, t1135, t1136, 0x96);
    const V t1138 = VADD(t1137, t1133);
    const V t1139 = VADD(t1132, t1138);
    const V t1140 = VADD(t1027, t1132);
    const V t1141 = VROR(t1095, 17);
    const V t1142 = VROR(t1095, 19);
    const V t1143 = _mm512_srli_epi32(t1095, 10);
    const V t1144 = _mm512_ternarylogic_epi32(t1141, t1142, t1143, 0x96);
    const V t1145 = VROR(t731, 7);
    const V t1146 = VROR(t731, 18);
    const V t1147 = _mm512_srli_epi32(t731, 3);
    const V t1148 = _mm512_ternarylogic_epi32(t1145, t1146, t1147, 0x96);
    const V t1149 = VADD(t1144, t955);
    const V t1150 = VADD(t1148, t703);
    const V t1151 = VADD(t1149, t1150);
    const V t1152 = _mm512_ternarylogic_epi32(t1140, t1112, t1084, 0xCA);
    const V t1153 = VADDK(t1151, 0x2748774cu);
    const V t1154 = VADD(t1056, t1153);
    const V t1155 = VROR(t1140, 6);
    const V t1156 = VROR(t1140, 11);
    const V t1157 = VROR(t1140, 25);
    const V t1158 = _mm512_ternarylogic_epi32(t1155, t1156, t1157, 0x96);
    const V t1159 = VADD(t1158, t1152);
    const V t1160 = VADD(t1154, t1159);
    const V t1161 = _mm512_ternarylogic_epi32(t1139, t1111, t1083, 0xE8);
    const V t1162 = VROR(t1139, 2);
    const V t1163 = VROR(t1139, 13);
    const V t1164 = VROR(t1139, 22);
    const V t1165 = _mm512_ternarylogic_epi32(t1162, t1163, t1164, 0x96);
    const V t1166 = VADD(t1165, t1161);
    const V t1167 = VADD(t1160, t1166);
    const V t1168 = VADD(t1055, t1160);
    const V t1169 = VROR(t1123, 17);
    const V t1170 = VROR(t1123, 19);
    const V t1171 = _mm512_srli_epi32(t1123, 10);
    const V t1172 = _mm512_ternarylogic_epi32(t1169, t1170, t1171, 0x96);
    const V t1173 = VROR(t759, 7);
    const V t1174 = VROR(t759, 18);
    const V t1175 = _mm512_srli_epi32(t759, 3);
    const V t1176 = _mm512_ternarylogic_epi32(t1173, t1174, t1175, 0x96);
    const V t1177 = VADD(t1172, t983);
    const V t1178 = VADD(t1176, t731);
    const V t1179 = VADD(t1177, t1178);
    const V t1180 = _mm512_ternarylogic_epi32(t1168, t1140, t1112, 0xCA);
    const V t1181 = VADDK(t1179, 0x34b0bcb5u);
    const V t1182 = VADD(t1084, t1181);
    const V t1183 = VROR(t1168, 6);
    const V t1184 = VROR(t1168, 11);
    const V t1185 = VROR(t1168, 25);
    const V t1186 = _mm512_ternarylogic_epi32(t1183, t1184, t1185, 0x96);
    const V t1187 = VADD(t1186, t1180);
    const V t1188 = VADD(t1182, t1187);
    const V t1189 = _mm512_ternarylogic_epi32(t1167, t1139, t1111, 0xE8);
    const V t1190 = VROR(t1167, 2);
    const V t1191 = VROR(t1167, 13);
    const V t1192 = VROR(t1167, 22);
    const V t1193 = _mm512_ternarylogic_epi32(t1190, t1191, t1192, 0x96);
    const V t1194 = VADD(t1193, t1189);
    const V t1195 = VADD(t1188, t1194);
    const V t1196 = VADD(t1083, t1188);
    const V t1197 = VROR(t1151, 17);
    const V t1198 = VROR(t1151, 19);
    const V t1199 = _mm512_srli_epi32(t1151, 10);
    const V t1200 = _mm512_ternarylogic_epi32(t1197, t1198, t1199, 0x96);
    const V t1201 = VROR(t787, 7);
    const V t1202 = VROR(t787, 18);
    const V t1203 = _mm512_srli_epi32(t787, 3);
    const V t1204 = _mm512_ternarylogic_epi32(t1201, t1202, t1203, 0x96);
    const V t1205 = VADD(t1200, t1011);
    const V t1206 = VADD(t1204, t759);
    const V t1207 = VADD(t1205, t1206);
    const V t1208 = _mm512_ternarylogic_epi32(t1196, t1168, t1140, 0xCA);
    const V t1209 = VADDK(t1207, 0x391c0cb3u);
    const V t1210 = VADD(t1112, t1209);
    const V t1211 = VROR(t1196, 6);
    const V t1212 = VROR(t1196, 11);
    const V t1213 = VROR(t1196, 25);
    const V t1214 = _mm512_ternarylogic_epi32(t1211, t1212, t1213, 0x96);
    const V t1215 = VADD(t1214, t1208);
    const V t1216 = VADD(t1210, t1215);
    const V t1217 = _mm512_ternarylogic_epi32(t1195, t1167, t1139, 0xE8);
    const V t1218 = VROR(t1195, 2);
    const V t1219 = VROR(t1195, 13);
    const V t1220 = VROR(t1195, 22);
    const V t1221 = _mm512_ternarylogic_epi32(t1218, t1219, t1220, 0x96);
    const V t1222 = VADD(t1221, t1217);
    const V t1223 = VADD(t1216, t1222);
    const V t1224 = VADD(t1111, t1216);
    const V t1225 = VROR(t1179, 17);
    const V t1226 = VROR(t1179, 19);
    const V t1227 = _mm512_srli_epi32(t1179, 10);
    const V t1228 = _mm512_ternarylogic_epi32(t1225, t1226, t1227, 0x96);
    const V t1229 = VROR(t815, 7);
    const V t1230 = VROR(t815, 18);
    const V t1231 = _mm512_srli_epi32(t815, 3);
    const V t1232 = _mm512_ternarylogic_epi32(t1229, t1230, t1231, 0x96);
    const V t1233 = VADD(t1228, t1039);
    const V t1234 = VADD(t1232, t787);
    const V t1235 = VADD(t1233, t1234);
    const V t1236 = _mm512_ternarylogic_epi32(t1224, t1196, t1168, 0xCA);
    const V t1237 = VADDK(t1235, 0x4ed8aa4au);
    const V t1238 = VADD(t1140, t1237);
    const V t1239 = VROR(t1224, 6);
    const V t1240 = VROR(t1224, 11);
    const V t1241 = VROR(t1224, 25);
    const V t1242 = _mm512_ternarylogic_epi32(t1239, t1240, t1241, 0x96);
    const V t1243 = VADD(t1242, t1236);
    const V t1244 = VADD(t1238, t1243);
    const V t1245 = _mm512_ternarylogic_epi32(t1223, t1195, t1167, 0xE8);
    const V t1246 = VROR(t1223, 2);
    const V t1247 = VROR(t1223, 13);
    const V t1248 = VROR(t1223, 22);
    const V t1249 = _mm512_ternarylogic_epi32(t1246, t1247, t1248, 0x96);
    const V t1250 = VADD(t1249, t1245);
    const V t1251 = VADD(t1244, t1250);
    const V t1252 = VADD(t1139, t1244);
    const V t1253 = VROR(t1207, 17);
    const V t1254 = VROR(t1207, 19);
    const V t1255 = _mm512_srli_epi32(t1207, 10);
    const V t1256 = _mm512_ternarylogic_epi32(t1253, t1254, t1255, 0x96);
    const V t1257 = VROR(t843, 7);
    const V t1258 = VROR(t843, 18);
    const V t1259 = _mm512_srli_epi32(t843, 3);
    const V t1260 = _mm512_ternarylogic_epi32(t1257, t1258, t1259, 0x96);
    const V t1261 = VADD(t1256, t1067);
    const V t1262 = VADD(t1260, t815);
    const V t1263 = VADD(t1261, t1262);
    const V t1264 = _mm512_ternarylogic_epi32(t1252, t1224, t1196, 0xCA);
    const V t1265 = VADDK(t1263, 0x5b9cca4fu);
    const V t1266 = VADD(t1168, t1265);
    const V t1267 = VROR(t1252, 6);
    const V t1268 = VROR(t1252, 11);
    const V t1269 = VROR(t1252, 25);
    const V t1270 = _mm512_ternarylogic_epi32(t1267, t1268, t1269, 0x96);
    const V t1271 = VADD(t1270, t1264);
    const V t1272 = VADD(t1266, t1271);
    const V t1273 = _mm512_ternarylogic_epi32(t1251, t1223, t1195, 0xE8);
    const V t1274 = VROR(t1251, 2);
    const V t1275 = VROR(t1251, 13);
    const V t1276 = VROR(t1251, 22);
    const V t1277 = _mm512_ternarylogic_epi32(t1274, t1275, t1276, 0x96);
    const V t1278 = VADD(t1277, t1273);
    const V t1279 = VADD(t1272, t1278);
    const V t1280 = VADD(t1167, t1272);
    const V t1281 = VROR(t1235, 17);
    const V t1282 = VROR(t1235, 19);
    const V t1283 = _mm512_srli_epi32(t1235, 10);
    const V t1284 = _mm512_ternarylogic_epi32(t1281, t1282, t1283, 0x96);
    const V t1285 = VROR(t871, 7);
    const V t1286 = VROR(t871, 18);
    const V t1287 = _mm512_srli_epi32(t871, 3);
    const V t1288 = _mm512_ternarylogic_epi32(t1285, t1286, t1287, 0x96);
    const V t1289 = VADD(t1284, t1095);
    const V t1290 = VADD(t1288, t843);
    const V t1291 = VADD(t1289, t1290);
    const V t1292 = _mm512_ternarylogic_epi32(t1280, t1252, t1224, 0xCA);
    const V t1293 = VADDK(t1291, 0x682e6ff3u);
    const V t1294 = VADD(t1196, t1293);
    const V t1295 = VROR(t1280, 6);
    const V t1296 = VROR(t1280, 11);
    const V t1297 = VROR(t1280, 25);
    const V t1298 = _mm512_ternarylogic_epi32(t1295, t1296, t1297, 0x96);
    const V t1299 = VADD(t1298, t1292);
    const V t1300 = VADD(t1294, t1299);
    const V t1301 = _mm512_ternarylogic_epi32(t1279, t1251, t1223, 0xE8);
    const V t1302 = VROR(t1279, 2);
    const V t1303 = VROR(t1279, 13);
    const V t1304 = VROR(t1279, 22);
    const V t1305 = _mm512_ternarylogic_epi32(t1302, t1303, t1304, 0x96);
    const V t1306 = VADD(t1305, t1301);
    const V t1307 = VADD(t1300, t1306);
    const V t1308 = VADD(t1195, t1300);
    const V t1309 = VROR(t1263, 17);
    const V t1310 = VROR(t1263, 19);
    const V t1311 = _mm512_srli_epi32(t1263, 10);
    const V t1312 = _mm512_ternarylogic_epi32(t1309, t1310, t1311, 0x96);
    const V t1313 = VROR(t899, 7);
    const V t1314 = VROR(t899, 18);
    const V t1315 = _mm512_srli_epi32(t899, 3);
    const V t1316 = _mm512_ternarylogic_epi32(t1313, t1314, t1315, 0x96);
    const V t1317 = VADD(t1312, t1123);
    const V t1318 = VADD(t1316, t871);
    const V t1319 = VADD(t1317, t1318);
    const V t1320 = _mm512_ternarylogic_epi32(t1308, t1280, t1252, 0xCA);
    const V t1321 = VADDK(t1319, 0x748f82eeu);
    const V t1322 = VADD(t1224, t1321);
    const V t1323 = VROR(t1308, 6);
    const V t1324 = VROR(t1308, 11);
    const V t1325 = VROR(t1308, 25);
    const V t1326 = _mm512_ternarylogic_epi32(t1323, t1324, t1325, 0x96);
    const V t1327 = VADD(t1326, t1320);
    const V t1328 = VADD(t1322, t1327);
    const V t1329 = _mm512_ternarylogic_epi32(t1307, t1279, t1251, 0xE8);
    const V t1330 = VROR(t1307, 2);
    const V t1331 = VROR(t1307, 13);
    const V t1332 = VROR(t1307, 22);
    const V t1333 = _mm512_ternarylogic_epi32(t1330, t1331, t1332, 0x96);
    const V t1334 = VADD(t1333, t1329);
    const V t1335 = VADD(t1328, t1334);
    const V t1336 = VADD(t1223, t1328);
    const V t1337 = VROR(t1291, 17);
    const V t1338 = VROR(t1291, 19);
    const V t1339 = _mm512_srli_epi32(t1291, 10);
    const V t1340 = _mm512_ternarylogic_epi32(t1337, t1338, t1339, 0x96);
    const V t1341 = VROR(t927, 7);
    const V t1342 = VROR(t927, 18);
    const V t1343 = _mm512_srli_epi32(t927, 3);
    const V t1344 = _mm512_ternarylogic_epi32(t1341, t1342, t1343, 0x96);
    const V t1345 = VADD(t1340, t1151);
    const V t1346 = VADD(t1344, t899);
    const V t1347 = VADD(t1345, t1346);
    const V t1348 = _mm512_ternarylogic_epi32(t1336, t1308, t1280, 0xCA);
    const V t1349 = VADDK(t1347, 0x78a5636fu);
    const V t1350 = VADD(t1252, t1349);
    const V t1351 = VROR(t1336, 6);
    const V t1352 = VROR(t1336, 11);
    const V t1353 = VROR(t1336, 25);
    const V t1354 = _mm512_ternarylogic_epi32(t1351, t1352, t1353, 0x96);
    const V t1355 = VADD(t1354, t1348);
    const V t1356 = VADD(t1350, t1355);
    const V t1357 = _mm512_ternarylogic_epi32(t1335, t1307, t1279, 0xE8);
    const V t1358 = VROR(t1335, 2);
    const V t1359 = VROR(t1335, 13);
    const V t1360 = VROR(t1335, 22);
    const V t1361 = _mm512_ternarylogic_epi32(t1358, t1359, t1360, 0x96);
    const V t1362 = VADD(t1361, t1357);
    const V t1363 = VADD(t1356, t1362);
    const V t1364 = VADD(t1251, t1356);
    const V t1365 = VROR(t1319, 17);
    const V t1366 = VROR(t1319, 19);
    const V t1367 = _mm512_srli_epi32(t1319, 10);
    const V t1368 = _mm512_ternarylogic_epi32(t1365, t1366, t1367, 0x96);
    const V t1369 = VROR(t955, 7);
    const V t1370 = VROR(t955, 18);
    const V t1371 = _mm512_srli_epi32(t955, 3);
    const V t1372 = _mm512_ternarylogic_epi32(t1369, t1370, t1371, 0x96);
    const V t1373 = VADD(t1368, t1179);
    const V t1374 = VADD(t1372, t927);
    const V t1375 = VADD(t1373, t1374);
    const V t1376 = _mm512_ternarylogic_epi32(t1364, t1336, t1308, 0xCA);
    const V t1377 = VADDK(t1375, 0x84c87814u);
    const V t1378 = VADD(t1280, t1377);
    const V t1379 = VROR(t1364, 6);
    const V t1380 = VROR(t1364, 11);
    const V t1381 = VROR(t1364, 25);
    const V t1382 = _mm512_ternarylogic_epi32(t1379, t1380, t1381, 0x96);
    const V t1383 = VADD(t1382, t1376);
    const V t1384 = VADD(t1378, t1383);
    const V t1385 = _mm512_ternarylogic_epi32(t1363, t1335, t1307, 0xE8);
    const V t1386 = VROR(t1363, 2);
    const V t1387 = VROR(t1363, 13);
    const V t1388 = VROR(t1363, 22);
    const V t1389 = _mm512_ternarylogic_epi32(t1386, t1387, t1388, 0x96);
    const V t1390 = VADD(t1389, t1385);
    const V t1391 = VADD(t1384, t1390);
    const V t1392 = VADD(t1279, t1384);
    const V t1393 = VROR(t1347, 17);
    const V t1394 = VROR(t1347, 19);
    const V t1395 = _mm512_srli_epi32(t1347, 10);
    const V t1396 = _mm512_ternarylogic_epi32(t1393, t1394, t1395, 0x96);
    const V t1397 = VROR(t983, 7);
    const V t1398 = VROR(t983, 18);
    const V t1399 = _mm512_srli_epi32(t983, 3);
    const V t1400 = _mm512_ternarylogic_epi32(t1397, t1398, t1399, 0x96);
    const V t1401 = VADD(t1396, t1207);
    const V t1402 = VADD(t1400, t955);
    const V t1403 = VADD(t1401, t1402);
    const V t1404 = _mm512_ternarylogic_epi32(t1392, t1364, t1336, 0xCA);
    const V t1405 = VADDK(t1403, 0x8cc70208u);
    const V t1406 = VADD(t1308, t1405);
    const V t1407 = VROR(t1392, 6);
    const V t1408 = VROR(t1392, 11);
    const V t1409 = VROR(t1392, 25);
    const V t1410 = _mm512_ternarylogic_epi32(t1407, t1408, t1409, 0x96);
    const V t1411 = VADD(t1410, t1404);
    const V t1412 = VADD(t1406, t1411);
    const V t1413 = _mm512_ternarylogic_epi32(t1391, t1363, t1335, 0xE8);
    const V t1414 = VROR(t1391, 2);
    const V t1415 = VROR(t1391, 13);
    const V t1416 = VROR(t1391, 22);
    const V t1417 = _mm512_ternarylogic_epi32(t1414, t1415, t1416, 0x96);
    const V t1418 = VADD(t1417, t1413);
    const V t1419 = VADD(t1412, t1418);
    const V t1420 = VADD(t1307, t1412);
    const V t1421 = VROR(t1375, 17);
    const V t1422 = VROR(t1375, 19);
    const V t1423 = _mm512_srli_epi32(t1375, 10);
    const V t1424 = _mm512_ternarylogic_epi32(t1421, t1422, t1423, 0x96);
    const V t1425 = VROR(t1011, 7);
    const V t1426 = VROR(t1011, 18);
    const V t1427 = _mm512_srli_epi32(t1011, 3);
    const V t1428 = _mm512_ternarylogic_epi32(t1425, t1426, t1427, 0x96);
    const V t1429 = VADD(t1424, t1235);
    const V t1430 = VADD(t1428, t983);
    const V t1431 = VADD(t1429, t1430);
    const V t1432 = _mm512_ternarylogic_epi32(t1420, t1392, t1364, 0xCA);
    const V t1433 = VADDK(t1431, 0x90befffau);
    const V t1434 = VADD(t1336, t1433);
    const V t1435 = VROR(t1420, 6);
    const V t1436 = VROR(t1420, 11);
    const V t1437 = VROR(t1420, 25);
    const V t1438 = _mm512_ternarylogic_epi32(t1435, t1436, t1437, 0x96);
    const V t1439 = VADD(t1438, t1432);
    const V t1440 = VADD(t1434, t1439);
    const V t1441 = _mm512_ternarylogic_epi32(t1419, t1391, t1363, 0xE8);
    const V t1442 = VROR(t1419, 2);
    const V t1443 = VROR(t1419, 13);
    const V t1444 = VROR(t1419, 22);
    const V t1445 = _mm512_ternarylogic_epi32(t1442, t1443, t1444, 0x96);
    const V t1446 = VADD(t1445, t1441);
    const V t1447 = VADD(t1440, t1446);
    const V t1448 = VADD(t1335, t1440);
    const V t1449 = VROR(t1403, 17);
    const V t1450 = VROR(t1403, 19);
    const V t1451 = _mm512_srli_epi32(t1403, 10);
    const V t1452 = _mm512_ternarylogic_epi32(t1449, t1450, t1451, 0x96);
    const V t1453 = VROR(t1039, 7);
    const V t1454 = VROR(t1039, 18);
    const V t1455 = _mm512_srli_epi32(t1039, 3);
    const V t1456 = _mm512_ternarylogic_epi32(t1453, t1454, t1455, 0x96);
    const V t1457 = VADD(t1452, t1263);
    const V t1458 = VADD(t1456, t1011);
    const V t1459 = VADD(t1457, t1458);
    const V t1460 = _mm512_ternarylogic_epi32(t1448, t1420, t1392, 0xCA);
    const V t1461 = VADDK(t1459, 0xa4506cebu);
    const V t1462 = VADD(t1364, t1461);
    const V t1463 = VROR(t1448, 6);
    const V t1464 = VROR(t1448, 11);
    const V t1465 = VROR(t1448, 25);
    const V t1466 = _mm512_ternarylogic_epi32(t1463, t1464, t1465, 0x96);
    const V t1467 = VADD(t1466, t1460);
    const V t1468 = VADD(t1462, t1467);
    const V t1469 = _mm512_ternarylogic_epi32(t1447, t1419, t1391, 0xE8);
    const V t1470 = VROR(t1447, 2);
    const V t1471 = VROR(t1447, 13);
    const V t1472 = VROR(t1447, 22);
    const V t1473 = _mm512_ternarylogic_epi32(t1470, t1471, t1472, 0x96);
    const V t1474 = VADD(t1473, t1469);
    const V t1475 = VADD(t1468, t1474);
    const V t1476 = VADD(t1363, t1468);
    const V t1477 = VROR(t1431, 17);
    const V t1478 = VROR(t1431, 19);
    const V t1479 = _mm512_srli_epi32(t1431, 10);
    const V t1480 = _mm512_ternarylogic_epi32(t1477, t1478, t1479, 0x96);
    const V t1481 = VROR(t1067, 7);
    const V t1482 = VROR(t1067, 18);
    const V t1483 = _mm512_srli_epi32(t1067, 3);
    const V t1484 = _mm512_ternarylogic_epi32(t1481, t1482, t1483, 0x96);
    const V t1485 = VADD(t1480, t1291);
    const V t1486 = VADD(t1484, t1039);
    const V t1487 = VADD(t1485, t1486);
    const V t1488 = _mm512_ternarylogic_epi32(t1476, t1448, t1420, 0xCA);
    const V t1489 = VADDK(t1487, 0xbef9a3f7u);
    const V t1490 = VADD(t1392, t1489);
    const V t1491 = VROR(t1476, 6);
    const V t1492 = VROR(t1476, 11);
    const V t1493 = VROR(t1476, 25);
    const V t1494 = _mm512_ternarylogic_epi32(t1491, t1492, t1493, 0x96);
    const V t1495 = VADD(t1494, t1488);
    const V t1496 = VADD(t1490, t1495);
    const V t1497 = _mm512_ternarylogic_epi32(t1475, t1447, t1419, 0xE8);
    const V t1498 = VROR(t1475, 2);
    const V t1499 = VROR(t1475, 13);
    const V t1500 = VROR(t1475, 22);
    const V t1501 = _mm512_ternarylogic_epi32(t1498, t1499, t1500, 0x96);
    const V t1502 = VADD(t1501, t1497);
    const V t1503 = VADD(t1496, t1502);
    const V t1504 = VADD(t1391, t1496);
    const V t1505 = VROR(t1459, 17);
    const V t1506 = VROR(t1459, 19);
    const V t1507 = _mm512_srli_epi32(t1459, 10);
    const V t1508 = _mm512_ternarylogic_epi32(t1505, t1506, t1507, 0x96);
    const V t1509 = VROR(t1095, 7);
    const V t1510 = VROR(t1095, 18);
    const V t1511 = _mm512_srli_epi32(t1095, 3);
    const V t1512 = _mm512_ternarylogic_epi32(t1509, t1510, t1511, 0x96);
    const V t1513 = VADD(t1508, t1319);
    const V t1514 = VADD(t1512, t1067);
    const V t1515 = VADD(t1513, t1514);
    const V t1516 = _mm512_ternarylogic_epi32(t1504, t1476, t1448, 0xCA);
    const V t1517 = VADDK(t1515, 0xc67178f2u);
    const V t1518 = VADD(t1420, t1517);
    const V t1519 = VROR(t1504, 6);
    const V t1520 = VROR(t1504, 11);
    const V t1521 = VROR(t1504, 25);
    const V t1522 = _mm512_ternarylogic_epi32(t1519, t1520, t1521, 0x96);
    const V t1523 = VADD(t1522, t1516);
    const V t1524 = VADD(t1518, t1523);
    const V t1525 = _mm512_ternarylogic_epi32(t1503, t1475, t1447, 0xE8);
    const V t1526 = VROR(t1503, 2);
    const V t1527 = VROR(t1503, 13);
    const V t1528 = VROR(t1503, 22);
    const V t1529 = _mm512_ternarylogic_epi32(t1526, t1527, t1528, 0x96);
    const V t1530 = VADD(t1529, t1525);
    const V t1531 = VADD(t1524, t1530);
    const V t1532 = VADD(t1419, t1524);
    const V t1533 = VADDK(t1531, 0x6a09e667u);
    const V t1534 = VADDK(t1503, 0xbb67ae85u);
    const V t1535 = VADDK(t1475, 0x3c6ef372u);
    const V t1536 = VADDK(t1447, 0xa54ff53au);
    const V t1537 = VADDK(t1532, 0x510e527fu);
    const V t1538 = VADDK(t1504, 0x9b05688cu);
    const V t1539 = VADDK(t1476, 0x1f83d9abu);
    const V t1540 = VADDK(t1448, 0x5be0cd19u);
    s[0] = t1533;
    s[1] = t1534;
    s[2] = t1535;
    s[3] = t1536;
    s[4] = t1537;
    s[5] = t1538;
    s[6] = t1539;
    s[7] = t1540;
}
/* END GENERATED */
#undef VROR
#undef VADD
#undef VADDK

/* per 32-bit lane, bytes of the digest words moved where the ID's words want them: pshufb within 128-bit lanes
 * (index 4j+3 is the top byte of dword j, 4j+1 its second byte; 0x80 gives 0) */
static uint8_t SHUF16[6][64] __attribute__((aligned(64)));

static void shuf16_init(void) {
    /* dword byte order (little-endian): up = [D3, C3, B3, A3], low = [F1, F3, E1, E3], lo = [H1, H3, G1, G3] */
    static const signed char pick[6][4] = {{-1, -1, -1, 3}, {-1, -1, 3, -1}, {-1, 3, -1, -1}, /* A, B, C */
                                           {3, -1, -1, -1}, {-1, -1, 1, 3}, {1, 3, -1, -1}};  /* D, E (G), F (H) */
    for (int m = 0; m < 6; m++)
        for (int i = 0; i < 64; i++) {
            int j = (i % 16) / 4, p = pick[m][i % 4];
            SHUF16[m][i] = p < 0 ? 0x80 : (uint8_t)(4 * j + p);
        }
}

__attribute__((target("avx512f,avx512bw"))) static void derive_avx512(const uint8_t *keys, Py_ssize_t k0,
                                                                       Py_ssize_t k1, Out *o) {
    uint32_t up[16] __attribute__((aligned(64))), low[16] __attribute__((aligned(64))),
        lo[16] __attribute__((aligned(64)));
    const V lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const V bswap = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)SHUF_BSWAP));
    const V pA = _mm512_load_si512(SHUF16[0]), pB = _mm512_load_si512(SHUF16[1]), pC = _mm512_load_si512(SHUF16[2]),
            pD = _mm512_load_si512(SHUF16[3]), pE = _mm512_load_si512(SHUF16[4]), pF = _mm512_load_si512(SHUF16[5]);
    /* hi of lanes 0-7 then 8-15: (low, up) pairs, dword indices into low (0-15) and up (16-31) */
    const V q0 = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23),
            q1 = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const int cols = o->ids == NULL, bench = o->off == NULL;
    int64_t *const hi = o->hi;
    int32_t *const lo_c = o->lo, *const kd = o->kd, *const slot = o->slot;
    Py_ssize_t pos = o->pos;
    V sink = _mm512_setzero_si512();
    for (Py_ssize_t k = k0; k < k1; k += 16) {
        int n = (int)(k1 - k < 16 ? k1 - k : 16), steps = 0, full = 0x7fffffff, st[16];
        for (int j = 0; j < 16; j++) {
            st[j] = j < n ? steps_of(o, k + j) : 0;
            if (st[j] > steps) steps = st[j];
            if (st[j] < full) full = st[j]; /* steps where all 16 lanes write */
        }
        if (steps == 0) continue;
        /* the keys' words 0-7, transposed (word t of lane j in lane j of W[t]) and byte-swapped; spare lanes
         * read the first key (their IDs are dropped) */
        const V idx = _mm512_mullo_epi32(_mm512_mask_blend_epi32((__mmask16)((1u << n) - 1), _mm512_setzero_si512(),
                                                                 lane), _mm512_set1_epi32(8));
        V W[8], s[8];
        for (int t = 0; t < 8; t++)
            W[t] = _mm512_shuffle_epi8(_mm512_i32gather_epi32(_mm512_add_epi32(idx, _mm512_set1_epi32(t)), keys + 32 * k, 4), bswap);
        c16_first(W, s);
        const V kdv = _mm512_add_epi32(lane, _mm512_set1_epi32(o->kd0 + (int32_t)k));
        for (int i = 0;; i++) {
            if (bench) {
                sink = _mm512_xor_si512(sink, s[0]);
            } else {
                V vup = _mm512_ternarylogic_epi32(_mm512_shuffle_epi8(s[0], pA), _mm512_shuffle_epi8(s[1], pB),
                                                  _mm512_or_si512(_mm512_shuffle_epi8(s[2], pC),
                                                                  _mm512_shuffle_epi8(s[3], pD)), 0xFE);
                V vlow = _mm512_or_si512(_mm512_shuffle_epi8(s[4], pE), _mm512_shuffle_epi8(s[5], pF));
                V vlo = _mm512_or_si512(_mm512_shuffle_epi8(s[6], pE), _mm512_shuffle_epi8(s[7], pF));
                if (cols && i < full && n == 16) {
                    _mm512_storeu_si512((void *)(hi + pos), _mm512_permutex2var_epi32(vlow, q0, vup));
                    _mm512_storeu_si512((void *)(hi + pos + 8), _mm512_permutex2var_epi32(vlow, q1, vup));
                    _mm512_storeu_si512((void *)(lo_c + pos), vlo);
                    _mm512_storeu_si512((void *)(kd + pos), kdv);
                    _mm512_storeu_si512((void *)(slot + pos), _mm512_set1_epi32(i));
                    pos += 16;
                } else {
                    _mm512_store_si512((void *)up, vup);
                    _mm512_store_si512((void *)low, vlow);
                    _mm512_store_si512((void *)lo, vlo);
                    o->pos = pos;
                    for (int j = 0; j < n; j++)
                        if (i < st[j]) emit(o, k + j, i, up[j], low[j], lo[j]);
                    pos = o->pos;
                }
            }
            if (i + 1 >= steps) break;
            c16_chain(s, s);
        }
    }
    o->pos = pos;
    o->sink ^= (uint32_t)_mm_cvtsi128_si32(_mm512_castsi512_si128(sink));
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
    if (!((b >> 16) & 1) || !((b >> 30) & 1)) return 0; /* AVX512F, AVX512BW */
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
    case B_AVX512: derive_avx512(keys, k0, k1, (Out *)o); return;
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
        if (bufs[i].itemsize != (i == 0 ? 8 : 4) || bufs[i].len < n * (i == 0 ? 8 : 4)) {
            for (int j = 0; j < 4; j++) PyBuffer_Release(&bufs[j]);
            PyErr_Format(PyExc_ValueError, "out[%d] must hold %zd rows of %d-byte integers", i, n, i == 0 ? 8 : 4);
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

/* ---- probe(): this core's clock and the throughput of what the paths are made of, measured ---------------
 * For bench_match's physical bounds: the clock from a chain of dependent 1-cycle adds; sha256rnds2's latency
 * (a dependent chain) and throughput (8 independent chains); and how many 512-bit adds, rotations and
 * ternary-logic operations one core retires a cycle (8 independent registers each). Times are CPU time of the
 * calling thread (CLOCK_THREAD_CPUTIME_ID), so other processes on the machine do not inflate them. */
#if defined(BZ_X86) && defined(__x86_64__) && defined(CLOCK_THREAD_CPUTIME_ID)
#define BZ_PROBE 1
static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

__attribute__((noinline)) static double probe_ghz(long n) {
    uint64_t x = 1;
    double t = cpu_seconds();
    for (long i = 0; i < n; i++)
        __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
    t = cpu_seconds() - t;
    return 4.0 * (double)n / t / 1e9 + (double)(x & 0) ;
}

/* cycles per instruction of a loop of n iterations of `per` instructions, at ghz */
#define PROBE_CYCLES(t, n, per, ghz) ((t) * (ghz) * 1e9 / ((double)(n) * (per)))

SHA_T __attribute__((noinline)) static void probe_sha(long n, double ghz, double *lat, double *per_cycle) {
    __m128i a = _mm_set1_epi32(1), b = _mm_set1_epi32(2), k = _mm_set1_epi32(3);
    __m128i r[8];
    for (int i = 0; i < 8; i++) r[i] = _mm_set1_epi32(i + 5);
    double t = cpu_seconds();
    for (long i = 0; i < n; i++) {
        a = _mm_sha256rnds2_epu32(a, b, k);
        b = _mm_sha256rnds2_epu32(b, a, k);
    }
    *lat = PROBE_CYCLES(cpu_seconds() - t, n, 2, ghz);
    t = cpu_seconds();
    for (long i = 0; i < n; i++)
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) r[j] = _mm_sha256rnds2_epu32(r[j], b, k);
    *per_cycle = 1.0 / PROBE_CYCLES(cpu_seconds() - t, n, 8, ghz);
    __m128i s = _mm_xor_si128(a, b);
    for (int j = 0; j < 8; j++) s = _mm_xor_si128(s, r[j]);
    volatile int sink = _mm_cvtsi128_si32(s);
    (void)sink;
}

#define Z8(op)                                                                                        \
    for (long i = 0; i < n; i++) {                                                                    \
        __asm__ volatile(op : "+v"(r0) : "v"(r1)); __asm__ volatile(op : "+v"(r1) : "v"(r2));         \
        __asm__ volatile(op : "+v"(r2) : "v"(r3)); __asm__ volatile(op : "+v"(r3) : "v"(r4));         \
        __asm__ volatile(op : "+v"(r4) : "v"(r5)); __asm__ volatile(op : "+v"(r5) : "v"(r6));         \
        __asm__ volatile(op : "+v"(r6) : "v"(r7)); __asm__ volatile(op : "+v"(r7) : "v"(r0));         \
    }
__attribute__((target("avx512f"), noinline)) static double probe_zmm(long n, double ghz, int kind) {
    V r0 = _mm512_set1_epi32(1), r1 = _mm512_set1_epi32(2), r2 = _mm512_set1_epi32(3), r3 = _mm512_set1_epi32(4),
      r4 = _mm512_set1_epi32(5), r5 = _mm512_set1_epi32(6), r6 = _mm512_set1_epi32(7), r7 = _mm512_set1_epi32(8);
    double t = cpu_seconds();
    /* each op updates its own register from the next one's value of the last iteration: 8 chains */
    if (kind == 0) Z8("vpaddd %1, %0, %0")
    else if (kind == 1) { (void)r7; for (long i = 0; i < n; i++) {
        __asm__ volatile("vprord $7, %0, %0" : "+v"(r0)); __asm__ volatile("vprord $7, %0, %0" : "+v"(r1));
        __asm__ volatile("vprord $7, %0, %0" : "+v"(r2)); __asm__ volatile("vprord $7, %0, %0" : "+v"(r3));
        __asm__ volatile("vprord $7, %0, %0" : "+v"(r4)); __asm__ volatile("vprord $7, %0, %0" : "+v"(r5));
        __asm__ volatile("vprord $7, %0, %0" : "+v"(r6)); __asm__ volatile("vprord $7, %0, %0" : "+v"(r7)); } }
    else Z8("vpternlogd $0x96, %1, %1, %0")
    t = cpu_seconds() - t;
    V s = _mm512_xor_si512(_mm512_xor_si512(_mm512_xor_si512(r0, r1), _mm512_xor_si512(r2, r3)),
                           _mm512_xor_si512(_mm512_xor_si512(r4, r5), _mm512_xor_si512(r6, r7)));
    volatile int sink = _mm_cvtsi128_si32(_mm512_castsi512_si128(s));
    (void)sink;
    return 1.0 / PROBE_CYCLES(t, n, 8, ghz);
}
#undef Z8
#endif

static int set_item(PyObject *d, const char *k, PyObject *v) {
    int r = v ? PyDict_SetItemString(d, k, v) : -1;
    Py_XDECREF(v);
    return r;
}

static PyObject *py_probe(PyObject *self, PyObject *unused) {
    PyObject *d = PyDict_New();
    if (d == NULL) return NULL;
    int err = 0;
#ifdef BZ_PROBE
    double ghz, lat = 0, per = 0, zadd = 0, zror = 0, ztern = 0;
    const long n = 20000000;
    Py_BEGIN_ALLOW_THREADS
    ghz = probe_ghz(n);
    if (b_have[B_SHANI2]) probe_sha(n / 4, ghz, &lat, &per);
    if (b_have[B_AVX512]) {
        zadd = probe_zmm(n / 8, ghz, 0);
        zror = probe_zmm(n / 8, ghz, 1);
        ztern = probe_zmm(n / 8, ghz, 2);
    }
    Py_END_ALLOW_THREADS
    err |= set_item(d, "ghz", PyFloat_FromDouble(ghz));
    if (b_have[B_SHANI2]) {
        err |= set_item(d, "rnds2_latency", PyFloat_FromDouble(lat));
        err |= set_item(d, "rnds2_per_cycle", PyFloat_FromDouble(per));
    }
    if (b_have[B_AVX512]) {
        err |= set_item(d, "zmm_add_per_cycle", PyFloat_FromDouble(zadd));
        err |= set_item(d, "zmm_rotate_per_cycle", PyFloat_FromDouble(zror));
        err |= set_item(d, "zmm_ternlog_per_cycle", PyFloat_FromDouble(ztern));
    }
#endif
#ifdef BZ_X86
    /* what one 16-lane chain step runs (tools/gen_sha_avx512.py counted them) */
    err |= set_item(d, "avx512_chain_ops", Py_BuildValue("{sisisisi}", "total", AVX512_CHAIN_OPS, "add",
                                                          AVX512_CHAIN_ADDS, "rotate", AVX512_CHAIN_ROTATES,
                                                          "ternlog", AVX512_CHAIN_TERNLOGS));
#endif
    if (err) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
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
    {"probe", py_probe, METH_NOARGS,
     "probe() -> dict: this core's clock (GHz) and the measured throughput of the instructions the paths use"},
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
    shuf16_init();
    int avx512 = cpu_has_avx512(), sha = cpu_has_sha();
    b_have[B_AVX512] = avx512;
    b_have[B_SHANI2] = b_have[B_SHANI4] = sha;
    b_have[B_SHANI4VL] = b_have[B_SHANI6VL] = sha && avx512 && cpu_has_avx512vl();
    for (int i = 0; i < B_COUNT; i++)
        if (b_have[B_ORDER[i]]) b_best = B_ORDER[i];
#endif
    return PyModule_Create(&moddef);
}
