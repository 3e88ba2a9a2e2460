/* Bluezone v2 ID derivation in C: host_tools._sha_kernel.derive(keys, slots) -> bytes.
 *
 * The same function as bzfw.ids.day_ids for many daily keys at once:
 *   S_0 = SHA256(K || "bluzonesubkey"), S_i+1 = SHA256(S_i), ID_i = S_i[0,4,8,12,16,18,...,30].
 * Every hash input fits one 64-byte block, so a key-day is `slots` single-block compressions from the IV.
 * The chain stays in 32-bit words (a digest is the next block's first 8 message words), so there is no
 * byte shuffling between steps. With the x86 SHA extensions (checked at run time with CPUID) a compression
 * is a few dozen cycles; otherwise a portable C compression runs. The GIL is released while deriving, so
 * threads scale over cores. bzfw.ids stays the reference; tests compare both paths against it.
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
typedef void (*compress_fn)(const uint32_t w[16], uint32_t out[8]);

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
/* Intel SHA extensions: state in the ABEF/CDGH layout sha256rnds2 wants; message words as 4-lane vectors. */
__attribute__((target("sha,sse4.1"))) static void compress_shani(const uint32_t win[16], uint32_t out[8]) {
    __m128i st0, st1, tmp, msg, save0, save1;
    __m128i w0 = _mm_loadu_si128((const __m128i *)(win + 0));
    __m128i w1 = _mm_loadu_si128((const __m128i *)(win + 4));
    __m128i w2 = _mm_loadu_si128((const __m128i *)(win + 8));
    __m128i w3 = _mm_loadu_si128((const __m128i *)(win + 12));

    tmp = _mm_loadu_si128((const __m128i *)&IV[0]);
    st1 = _mm_loadu_si128((const __m128i *)&IV[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);          /* CDAB */
    st1 = _mm_shuffle_epi32(st1, 0x1B);          /* EFGH */
    st0 = _mm_alignr_epi8(tmp, st1, 8);          /* ABEF */
    st1 = _mm_blend_epi16(st1, tmp, 0xF0);       /* CDGH */
    save0 = st0;
    save1 = st1;

#define ROUNDS4(W, i)                                                              \
    msg = _mm_add_epi32((W), _mm_loadu_si128((const __m128i *)&K256[4 * (i)]));  \
    st1 = _mm_sha256rnds2_epu32(st1, st0, msg);                                    \
    msg = _mm_shuffle_epi32(msg, 0x0E);                                            \
    st0 = _mm_sha256rnds2_epu32(st0, st1, msg);
    /* next schedule group from the previous four: W[g] = msg2(msg1(W[g-4], W[g-3]) + (W[g-1]:W[g-2] >> 4 bytes), W[g-1]) */
#define SCHED(Wa, Wb, Wc, Wd) \
    Wa = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(Wa, Wb), _mm_alignr_epi8(Wd, Wc, 4)), Wd);

    ROUNDS4(w0, 0) ROUNDS4(w1, 1) ROUNDS4(w2, 2) ROUNDS4(w3, 3)
    SCHED(w0, w1, w2, w3) ROUNDS4(w0, 4)
    SCHED(w1, w2, w3, w0) ROUNDS4(w1, 5)
    SCHED(w2, w3, w0, w1) ROUNDS4(w2, 6)
    SCHED(w3, w0, w1, w2) ROUNDS4(w3, 7)
    SCHED(w0, w1, w2, w3) ROUNDS4(w0, 8)
    SCHED(w1, w2, w3, w0) ROUNDS4(w1, 9)
    SCHED(w2, w3, w0, w1) ROUNDS4(w2, 10)
    SCHED(w3, w0, w1, w2) ROUNDS4(w3, 11)
    SCHED(w0, w1, w2, w3) ROUNDS4(w0, 12)
    SCHED(w1, w2, w3, w0) ROUNDS4(w1, 13)
    SCHED(w2, w3, w0, w1) ROUNDS4(w2, 14)
    SCHED(w3, w0, w1, w2) ROUNDS4(w3, 15)
#undef ROUNDS4
#undef SCHED

    st0 = _mm_add_epi32(st0, save0);
    st1 = _mm_add_epi32(st1, save1);
    tmp = _mm_shuffle_epi32(st0, 0x1B);          /* FEBA */
    st1 = _mm_shuffle_epi32(st1, 0xB1);          /* DCHG */
    st0 = _mm_blend_epi16(tmp, st1, 0xF0);       /* DCBA */
    st1 = _mm_alignr_epi8(st1, tmp, 8);          /* ABEF -> HGFE */
    _mm_storeu_si128((__m128i *)(out + 0), st0);
    _mm_storeu_si128((__m128i *)(out + 4), st1);
}

static int cpu_has_sha(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1)) return 0;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 29) & 1;
}
#endif

static compress_fn best_compress = compress_portable;
static const char *best_name = "portable";

static void derive_range(compress_fn compress, const uint8_t *keys, Py_ssize_t nkeys, int slots, uint8_t *out) {
    uint32_t w[16], s[8];
    for (Py_ssize_t k = 0; k < nkeys; k++) {
        const uint8_t *key = keys + 32 * k;
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
        compress(w, s);
        /* from here every block is a 32-byte digest + padding (length 256 bits) */
        for (int i = 9; i < 15; i++) w[i] = 0;
        w[8] = 0x80000000u;
        w[15] = 256;
        for (int i = 0; i < slots; i++) {
            uint8_t *id = out + ((Py_ssize_t)k * slots + i) * 12;
            /* bytes 0,4,8,12 = high byte of words 0..3; bytes 16..30 even = bytes 0 and 2 of words 4..7 */
            id[0] = s[0] >> 24; id[1] = s[1] >> 24; id[2] = s[2] >> 24; id[3] = s[3] >> 24;
            id[4] = s[4] >> 24; id[5] = s[4] >> 8;  id[6] = s[5] >> 24; id[7] = s[5] >> 8;
            id[8] = s[6] >> 24; id[9] = s[6] >> 8;  id[10] = s[7] >> 24; id[11] = s[7] >> 8;
            if (i + 1 < slots) {
                memcpy(w, s, 32);
                compress(w, s);
            }
        }
    }
}

static PyObject *py_derive(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"keys", "slots", "portable", NULL};
    Py_buffer keys;
    int slots, portable = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "y*i|p", kwlist, &keys, &slots, &portable)) return NULL;
    if (keys.len % 32 != 0) {
        PyBuffer_Release(&keys);
        PyErr_SetString(PyExc_ValueError, "keys must be a concatenation of 32-byte daily keys");
        return NULL;
    }
    if (slots < 1 || slots > 86400) {
        PyBuffer_Release(&keys);
        PyErr_SetString(PyExc_ValueError, "slots must be 1..86400");
        return NULL;
    }
    Py_ssize_t nkeys = keys.len / 32;
    PyObject *res = PyBytes_FromStringAndSize(NULL, nkeys * slots * 12);
    if (res == NULL) {
        PyBuffer_Release(&keys);
        return NULL;
    }
    compress_fn fn = portable ? compress_portable : best_compress;
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(res);
    Py_BEGIN_ALLOW_THREADS
    derive_range(fn, (const uint8_t *)keys.buf, nkeys, slots, out);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&keys);
    return res;
}

static PyObject *py_backend(PyObject *self, PyObject *unused) { return PyUnicode_FromString(best_name); }

static PyMethodDef methods[] = {
    {"derive", (PyCFunction)(void (*)(void))py_derive, METH_VARARGS | METH_KEYWORDS,
     "derive(keys, slots, portable=False) -> bytes: the first `slots` 12-byte IDs of each 32-byte key, concatenated"},
    {"backend", py_backend, METH_NOARGS, "backend() -> 'sha-ni' or 'portable': the compression derive() uses"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "_sha_kernel",
                                    "Bluezone ID derivation (SHA-256 chains) in C", -1, methods};

PyMODINIT_FUNC PyInit__sha_kernel(void) {
#ifdef BZ_X86
    if (cpu_has_sha()) {
        best_compress = compress_shani;
        best_name = "sha-ni";
    }
#endif
    return PyModule_Create(&moddef);
}
