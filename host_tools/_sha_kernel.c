/* Bluezone v2 ID derivation in C: host_tools._sha_kernel.derive(keys, slots) -> bytes.
 *
 * The same function as bzfw.ids.day_ids for many daily keys at once:
 *   S_0 = SHA256(K || "bluzonesubkey"), S_i+1 = SHA256(S_i), ID_i = S_i[0,4,8,12,16,18,...,30].
 * Every hash input fits one 64-byte block, so a key-day is `slots` single-block compressions from the IV.
 * The chain stays in 32-bit words (a digest is the next block's first 8 message words), so there is no
 * byte shuffling between steps. Keys go in pairs whose two chains are interleaved: one chain is bound by the
 * latency of each compression, two keep the SHA unit busy. With the x86 SHA extensions (checked at run time
 * with CPUID) a compression is a few dozen cycles; otherwise a portable C compression runs. The GIL is released while deriving, so
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

/* Two independent compressions. One chain is latency-bound (each step needs the previous digest), so the
 * SHA-NI version runs two chains' instructions interleaved, keeping the SHA unit busy. */
typedef void (*compress2_fn)(const uint32_t wa[16], const uint32_t wb[16], uint32_t oa[8], uint32_t ob[8]);

static void compress2_portable(const uint32_t wa[16], const uint32_t wb[16], uint32_t oa[8], uint32_t ob[8]) {
    compress_portable(wa, oa);
    compress_portable(wb, ob);
}

#ifdef BZ_X86
/* Intel SHA extensions: state in the ABEF/CDGH layout sha256rnds2 wants; message words as 4-lane vectors.
 * W[g] for g >= 4 = msg2(msg1(W[g-4], W[g-3]) + (W[g-1]:W[g-2] >> 4 bytes), W[g-1]). */
__attribute__((target("sha,sse4.1"))) static void compress2_shani(const uint32_t wa[16], const uint32_t wb[16],
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

static compress2_fn best_compress2 = compress2_portable;
static const char *best_name = "portable";

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

static void put_id(const uint32_t s[8], uint8_t *id) {
    /* bytes 0,4,8,12 = high byte of words 0..3; bytes 16..30 even = bytes 0 and 2 of words 4..7 */
    id[0] = s[0] >> 24; id[1] = s[1] >> 24; id[2] = s[2] >> 24; id[3] = s[3] >> 24;
    id[4] = s[4] >> 24; id[5] = s[4] >> 8;  id[6] = s[5] >> 24; id[7] = s[5] >> 8;
    id[8] = s[6] >> 24; id[9] = s[6] >> 8;  id[10] = s[7] >> 24; id[11] = s[7] >> 8;
}

/* Two key-days side by side: `slots` IDs of key a to out_a and of key b to out_b. */
static void derive_pair(compress2_fn compress2, const uint8_t *ka, const uint8_t *kb, int slots, uint8_t *out_a,
                        uint8_t *out_b) {
    uint32_t wa[16], wb[16], sa[8], sb[8];
    first_block(ka, wa);
    first_block(kb, wb);
    compress2(wa, wb, sa, sb);
    /* from here every block is a 32-byte digest + padding (length 256 bits) */
    for (int i = 9; i < 15; i++) wa[i] = wb[i] = 0;
    wa[8] = wb[8] = 0x80000000u;
    wa[15] = wb[15] = 256;
    for (int i = 0; i < slots; i++) {
        put_id(sa, out_a + 12 * i);
        put_id(sb, out_b + 12 * i);
        if (i + 1 < slots) {
            memcpy(wa, sa, 32);
            memcpy(wb, sb, 32);
            compress2(wa, wb, sa, sb);
        }
    }
}

static void derive_range(compress2_fn compress2, const uint8_t *keys, Py_ssize_t nkeys, int slots, uint8_t *out,
                         uint8_t *scratch) {
    Py_ssize_t row = (Py_ssize_t)slots * 12;
    Py_ssize_t k = 0;
    for (; k + 1 < nkeys; k += 2)
        derive_pair(compress2, keys + 32 * k, keys + 32 * (k + 1), slots, out + row * k, out + row * (k + 1));
    if (k < nkeys) /* an odd last key: its twin's IDs go to scratch */
        derive_pair(compress2, keys + 32 * k, keys + 32 * k, slots, out + row * k, scratch);
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
    compress2_fn fn = portable ? compress2_portable : best_compress2;
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(res);
    uint8_t *scratch = PyMem_RawMalloc((size_t)slots * 12);
    if (scratch == NULL) {
        PyBuffer_Release(&keys);
        Py_DECREF(res);
        return PyErr_NoMemory();
    }
    Py_BEGIN_ALLOW_THREADS
    derive_range(fn, (const uint8_t *)keys.buf, nkeys, slots, out, scratch);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(scratch);
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
        best_compress2 = compress2_shani;
        best_name = "sha-ni";
    }
#endif
    return PyModule_Create(&moddef);
}
