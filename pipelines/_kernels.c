/* Compiled inner loops of the MinHash and near-duplicate stages (module `pipelines._kernels`).
 *
 * Each function is the loop form of a numpy expression in pipelines/minhash.py, spam.py or
 * dedup.py, which stays the reference and the fallback when this module is not built
 * (`pipelines.kernels`); tests/pipelines/test_kernels.py checks both give identical arrays.
 * numpy spends one pass over memory per operation and has no SIMD 32-bit multiply for uint32;
 * here each value is loaded once, and the hot loops are compiled for x86-64-v3 (AVX2) and
 * x86-64-v2 (SSE4.2, POPCNT) as well as the baseline, the best one picked at load time (GCC's
 * target_clones).
 *
 * Arguments are buffers (numpy arrays, C-contiguous) that the Python wrappers have checked
 * for dtype and shape; outputs are written into arrays the wrappers allocate.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && defined(__linux__)
#define MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "arch=x86-64-v2", "default")))
#else
#define MULTIVERSION
#endif

#define C1 0xCC9E2D51u
#define C2 0x1B873593u
#define MURMUR_N 0xE6546B64u

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static inline uint32_t fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    return h ^ (h >> 16);
}

/* murmur3_32 (seed 0) of the `width` code points at `k` (already block-mixed: k1 * C1, rotl 15,
 * * C2), as little-endian UTF-32 bytes. */
static inline uint32_t murmur_window(const uint32_t *k, Py_ssize_t width)
{
    uint32_t h = 0;
    for (Py_ssize_t j = 0; j < width; j++) {
        h ^= k[j];
        h = rotl32(h, 13);
        h = h * 5u + MURMUR_N;
    }
    h ^= (uint32_t)(4 * width);
    return fmix32(h);
}

static inline uint32_t block_mix(uint32_t c) { return rotl32(c * C1, 15) * C2; }

/* out[p] = min over i of a[p] * fmix32(hashes[i]) + b[p] (mod 2**32), starting from out[p]. */
#define MIX_CHUNK 2048
MULTIVERSION
static void affine_minima(const uint32_t *mixed, Py_ssize_t count, const uint32_t *a,
                          const uint32_t *b, Py_ssize_t perms, uint32_t *out)
{
    for (Py_ssize_t p = 0; p < perms; p++) {
        const uint32_t ap = a[p], bp = b[p];
        uint32_t least = out[p];
        for (Py_ssize_t i = 0; i < count; i++) {
            uint32_t v = ap * mixed[i] + bp;
            least = v < least ? v : least;
        }
        out[p] = least;
    }
}

/* out[0:perms] = the MinHash of the murmur3 hashes of the width-character windows of a string
 * of n >= width code points, given block-mixed (`k`); `mixed` is scratch room for n values. */
static void string_minhash(const uint32_t *k, Py_ssize_t n, Py_ssize_t width, const uint32_t *a,
                           const uint32_t *b, Py_ssize_t perms, uint32_t *mixed, uint32_t *out)
{
    Py_ssize_t count = n - width + 1;
    for (Py_ssize_t i = 0; i < count; i++)
        mixed[i] = fmix32(murmur_window(k + i, width));
    for (Py_ssize_t p = 0; p < perms; p++)
        out[p] = 0xFFFFFFFFu;
    affine_minima(mixed, count, a, b, perms, out);
}

static int check_buffer(Py_buffer *view, Py_ssize_t itemsize, const char *name)
{
    if (view->len % itemsize != 0) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes is not a whole number of %zd-byte items",
                     name, view->len, itemsize);
        return -1;
    }
    return 0;
}

/* Every row index in `rows` (int64) lies in [0, stored): the kernels read through them. */
static int check_rows(Py_buffer *rows, Py_ssize_t stored, const char *name, const char *what)
{
    const int64_t *r = rows->buf;
    for (Py_ssize_t i = 0, k = rows->len / 8; i < k; i++) {
        if (r[i] < 0 || r[i] >= stored) {
            PyErr_Format(PyExc_IndexError, "%s: row %lld outside the %s", name, (long long)r[i], what);
            return -1;
        }
    }
    return 0;
}

/* murmur_windows(codepoints: u32[n], width, out: u32[n - width + 1]) */
static PyObject *murmur_windows(PyObject *self, PyObject *args)
{
    Py_buffer points, out;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "y*nw*", &points, &width, &out))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = points.len / 4, count = out.len / 4;
    if (check_buffer(&points, 4, "codepoints") || check_buffer(&out, 4, "out"))
        goto done;
    if (width < 1 || n < width || count != n - width + 1) {
        PyErr_SetString(PyExc_ValueError, "murmur_windows: out must have len(codepoints) - width + 1 items");
        goto done;
    }
    const uint32_t *cp = points.buf;
    uint32_t *h = out.buf;
    uint32_t stack[512];
    uint32_t *k = n <= 512 ? stack : PyMem_Malloc(n * sizeof(uint32_t));
    if (k == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++)
        k[i] = block_mix(cp[i]);
    for (Py_ssize_t i = 0; i < count; i++)
        h[i] = murmur_window(k + i, width);
    Py_END_ALLOW_THREADS
    if (k != stack)
        PyMem_Free(k);
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&points);
    PyBuffer_Release(&out);
    return result;
}

/* minhash_values(hashes: u32[n], a: u32[p], b: u32[p], out: u32[p]): out = min(out, a*fmix(h)+b) */
static PyObject *minhash_values(PyObject *self, PyObject *args)
{
    Py_buffer hashes, a, b, out;
    if (!PyArg_ParseTuple(args, "y*y*y*w*", &hashes, &a, &b, &out))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = hashes.len / 4, perms = out.len / 4;
    if (check_buffer(&hashes, 4, "hashes") || check_buffer(&out, 4, "out"))
        goto done;
    if (a.len != out.len || b.len != out.len) {
        PyErr_SetString(PyExc_ValueError, "minhash_values: a, b and out must have one item per permutation");
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    uint32_t mixed[MIX_CHUNK];
    const uint32_t *h = hashes.buf;
    for (Py_ssize_t start = 0; start < n; start += MIX_CHUNK) {
        Py_ssize_t m = n - start < MIX_CHUNK ? n - start : MIX_CHUNK;
        for (Py_ssize_t i = 0; i < m; i++)
            mixed[i] = fmix32(h[start + i]);
        affine_minima(mixed, m, a.buf, b.buf, perms, out.buf);
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&hashes);
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    PyBuffer_Release(&out);
    return result;
}

/* grouped_minhash(codepoints: u32, lengths: i64[g], width, a: u32[p], b: u32[p], out: u32[g*p])
 * The codepoints are g strings back to back (lengths[i] ≥ width each); row i of out is the
 * MinHash of the murmur3 hashes of string i's width-character windows (none straddles two). */
static PyObject *grouped_minhash(PyObject *self, PyObject *args)
{
    Py_buffer points, lengths, a, b, out;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "y*y*ny*y*w*", &points, &lengths, &width, &a, &b, &out))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = points.len / 4, groups = lengths.len / 8, perms = a.len / 4;
    if (check_buffer(&points, 4, "codepoints") || check_buffer(&lengths, 8, "lengths")
        || check_buffer(&a, 4, "a"))
        goto done;
    if (b.len != a.len || out.len != groups * perms * 4 || width < 1) {
        PyErr_SetString(PyExc_ValueError, "grouped_minhash: out must be (groups x permutations) of a's length");
        goto done;
    }
    const int64_t *len = lengths.buf;
    Py_ssize_t total = 0;
    for (Py_ssize_t g = 0; g < groups; g++) {
        if (len[g] < width) {
            PyErr_SetString(PyExc_ValueError, "grouped_minhash: a string is shorter than the shingle");
            goto done;
        }
        total += len[g];
    }
    if (total != n) {
        PyErr_SetString(PyExc_ValueError, "grouped_minhash: lengths do not add up to the code points");
        goto done;
    }
    uint32_t *k = PyMem_Malloc((n ? n : 1) * sizeof(uint32_t));
    uint32_t *mixed = PyMem_Malloc((n ? n : 1) * sizeof(uint32_t));
    if (k == NULL || mixed == NULL) {
        PyMem_Free(k);
        PyMem_Free(mixed);
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    const uint32_t *cp = points.buf;
    for (Py_ssize_t i = 0; i < n; i++)
        k[i] = block_mix(cp[i]);
    uint32_t *row = out.buf;
    Py_ssize_t offset = 0;
    for (Py_ssize_t g = 0; g < groups; g++, row += perms) {
        string_minhash(k + offset, len[g], width, a.buf, b.buf, perms, mixed, row);
        offset += len[g];
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(k);
    PyMem_Free(mixed);
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&points);
    PyBuffer_Release(&lengths);
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    PyBuffer_Release(&out);
    return result;
}

#define SCREEN_AHEAD 16 /* rows prefetched ahead: their cache misses overlap */

/* Values of one screen line whose screened bits differ from the query's, and its code. */
static inline __attribute__((always_inline)) unsigned screen_line(
    const uint64_t *line, const uint64_t *q, Py_ssize_t width, Py_ssize_t planes, uint8_t *code)
{
    const uint64_t code_word = line[width - 1] ^ q[width - 1];
    *code = (uint8_t)(code_word >> 56);
    unsigned unequal = 0;
    for (Py_ssize_t w = 0; w < width; w++) {
        uint64_t folded = w == width - 1 ? code_word & ((UINT64_C(1) << 56) - 1) : line[w] ^ q[w];
        for (Py_ssize_t p = 1; p < planes; p++)
            folded |= line[p * width + w] ^ q[p * width + w];
        unequal += (unsigned)__builtin_popcountll(folded);
    }
    return unequal;
}

static inline __attribute__((always_inline)) Py_ssize_t screen_keep_as(
    const uint64_t *s, const int64_t *r, Py_ssize_t k, const uint64_t *q, Py_ssize_t width,
    Py_ssize_t planes, const uint16_t *limits, int64_t *out)
{
    const Py_ssize_t words = width * planes;
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < k && i < SCREEN_AHEAD; i++)
        __builtin_prefetch(s + r[i] * words);
    for (Py_ssize_t i = 0; i < k; i++) {
        if (i + SCREEN_AHEAD < k)
            __builtin_prefetch(s + r[i + SCREEN_AHEAD] * words);
        uint8_t code;
        unsigned unequal = screen_line(s + r[i] * words, q, width, planes, &code);
        out[n] = r[i];
        n += unequal <= limits[code];
    }
    return n;
}

/* The rows whose unequal count is within limits[code]: written to out, their number returned.
 * The screen of 128 permutations (one 64-byte line: 2 words x 4 planes) has its own copy of
 * the loop, unrolled by the compiler: ~2x faster per row than the loops over runtime sizes
 * (800 rows in cache: 7.5 -> 4.9 us a call, ~2.5 us of it the call itself). */
MULTIVERSION
static Py_ssize_t screen_keep(const uint64_t *s, const int64_t *r, Py_ssize_t k, const uint64_t *q,
                              Py_ssize_t width, Py_ssize_t planes, const uint16_t *limits, int64_t *out)
{
    if (width == 2 && planes == 4)
        return screen_keep_as(s, r, k, q, 2, 4, limits, out);
    return screen_keep_as(s, r, k, q, width, planes, limits, out);
}

/* screen_filter's checks: the query row is whole planes, every row is inside the screen. */
static int check_screen(Py_buffer *screen, Py_buffer *rows, Py_buffer *query, Py_ssize_t planes,
                        const char *name)
{
    if (check_buffer(screen, 8, "screen") || check_buffer(rows, 8, "rows") || check_buffer(query, 8, "query"))
        return -1;
    Py_ssize_t words = query->len / 8;
    if (planes < 1 || words == 0 || words % planes) {
        PyErr_Format(PyExc_ValueError, "%s: the query row must be whole planes", name);
        return -1;
    }
    return check_rows(rows, screen->len / 8 / words, name, "screen");
}

/* screen_filter(screen, rows: i64[k], query, planes, limits: u16[256]) -> (bytes, n): the rows
 * the screen lets through (unequal <= limits[code]), in order, as n int64. */
static PyObject *screen_filter(PyObject *self, PyObject *args)
{
    Py_buffer screen, rows, query, limits;
    Py_ssize_t planes;
    if (!PyArg_ParseTuple(args, "y*y*y*ny*", &screen, &rows, &query, &planes, &limits))
        return NULL;
    PyObject *result = NULL, *bytes = NULL;
    if (check_screen(&screen, &rows, &query, planes, "screen_filter"))
        goto done;
    if (limits.len != 2 * 256) {
        PyErr_SetString(PyExc_ValueError, "screen_filter: limits must be 256 uint16, one per code");
        goto done;
    }
    Py_ssize_t k = rows.len / 8, words = query.len / 8;
    bytes = PyBytes_FromStringAndSize(NULL, k * 8);
    if (bytes == NULL)
        goto done;
    Py_ssize_t n = screen_keep(screen.buf, rows.buf, k, query.buf, words / planes, planes, limits.buf,
                               (int64_t *)PyBytes_AS_STRING(bytes));
    result = Py_BuildValue("Nn", bytes, n);
    bytes = NULL;
done:
    Py_XDECREF(bytes);
    PyBuffer_Release(&screen);
    PyBuffer_Release(&rows);
    PyBuffer_Release(&query);
    PyBuffer_Release(&limits);
    return result;
}

MULTIVERSION
static void equal_values(const uint32_t *m, const int64_t *r, Py_ssize_t k, const uint32_t *q,
                         Py_ssize_t perms, uint16_t *o)
{
    for (Py_ssize_t i = 0; i < k; i++) {
        const uint32_t *row = m + r[i] * perms;
        unsigned equal = 0;
        for (Py_ssize_t p = 0; p < perms; p++)
            equal += row[p] == q[p];
        o[i] = (uint16_t)equal;
    }
}

/* prefilter_rows(matrix: u32[N*perms], numbers: i64[M*3], rows: i64[k], query: u32[perms],
 *                shingle_count, prefilter) -> (bytes of i64 positions, bytes of f64 estimates)
 * The rows whose MinHash estimate passes dedup's prefilter, in order: J = equal values / perms,
 * |A∩B| ≈ J(|A|+|B|)/(1+J), kept when max(J, |A∩B|/|A|, |A∩B|/|B|) >= prefilter; |B| is a
 * row's numbers[row, 1]. The arithmetic of dedup._verify_rows's numpy code, in its order. */
static PyObject *prefilter_rows(PyObject *self, PyObject *args)
{
    Py_buffer matrix, numbers, rows, query;
    Py_ssize_t a;
    double prefilter;
    if (!PyArg_ParseTuple(args, "y*y*y*y*nd", &matrix, &numbers, &rows, &query, &a, &prefilter))
        return NULL;
    PyObject *result = NULL, *positions = NULL, *estimates = NULL;
    Py_ssize_t perms = query.len / 4, k = rows.len / 8;
    if (check_buffer(&matrix, 4, "matrix") || check_buffer(&numbers, 24, "numbers")
        || check_buffer(&rows, 8, "rows") || check_buffer(&query, 4, "query"))
        goto done;
    if (perms == 0 || matrix.len % (perms * 4)) {
        PyErr_SetString(PyExc_ValueError, "prefilter_rows: the matrix needs rows of len(query) values");
        goto done;
    }
    Py_ssize_t stored = matrix.len / 4 / perms;
    if (numbers.len / 24 < stored)
        stored = numbers.len / 24;
    if (check_rows(&rows, stored, "prefilter_rows", "matrix or numbers"))
        goto done;
    positions = PyBytes_FromStringAndSize(NULL, k * 8);
    estimates = PyBytes_FromStringAndSize(NULL, k * 8);
    if (positions == NULL || estimates == NULL)
        goto done;
    uint16_t *equal = PyMem_Malloc(k ? k * sizeof(uint16_t) : 1);
    if (equal == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const int64_t *r = rows.buf, *nums = numbers.buf;
    equal_values(matrix.buf, r, k, query.buf, perms, equal);
    int64_t *pos = (int64_t *)PyBytes_AS_STRING(positions);
    double *est = (double *)PyBytes_AS_STRING(estimates);
    Py_ssize_t kept = 0;
    for (Py_ssize_t i = 0; i < k; i++) {
        double j = (double)equal[i] / (double)perms, b = (double)nums[r[i] * 3 + 1];
        double overlap = a > 0 && b > 0 ? j * ((double)a + b) / (1.0 + j) : 0.0;
        double by_a = overlap / (double)(a > 1 ? a : 1), by_b = overlap / (b > 1.0 ? b : 1.0);
        double best = by_a > by_b ? by_a : by_b;
        if (j > best)
            best = j;
        if (best >= prefilter) {
            pos[kept] = i;
            est[kept] = j;
            kept++;
        }
    }
    PyMem_Free(equal);
    if (_PyBytes_Resize(&positions, kept * 8) < 0 || _PyBytes_Resize(&estimates, kept * 8) < 0)
        goto done;
    result = PyTuple_Pack(2, positions, estimates);
done:
    Py_XDECREF(positions);
    Py_XDECREF(estimates);
    PyBuffer_Release(&matrix);
    PyBuffer_Release(&numbers);
    PyBuffer_Release(&rows);
    PyBuffer_Release(&query);
    return result;
}

static int compare_rows(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* band_candidates(matrix: u64 (stored rows x columns), columns, rows: i64[k],
 *                 has_signature: u8[stored], keys: u64[bands]) -> (bytes, n)
 * The distinct rows (ascending) that have a signature and share a band key with `keys`: row r's
 * band keys are matrix[r, :bands]. `sorted_distinct(rows[has_signature[rows]])` then
 * `_shares_a_band` in dedup._verify_rows, in one pass. */
static PyObject *band_candidates(PyObject *self, PyObject *args)
{
    Py_buffer matrix, rows, has, keys;
    Py_ssize_t columns;
    if (!PyArg_ParseTuple(args, "y*ny*y*y*", &matrix, &columns, &rows, &has, &keys))
        return NULL;
    PyObject *result = NULL, *data = NULL;
    Py_ssize_t bands = keys.len / 8, k = rows.len / 8;
    if (check_buffer(&matrix, 8, "matrix") || check_buffer(&rows, 8, "rows") || check_buffer(&keys, 8, "keys"))
        goto done;
    if (columns < 1 || bands < 1 || bands > columns || matrix.len % (columns * 8) || has.len != matrix.len / 8 / columns) {
        PyErr_SetString(PyExc_ValueError,
                        "band_candidates: a matrix of `columns` keys a row, keys for its first bands, a flag per row");
        goto done;
    }
    if (check_rows(&rows, has.len, "band_candidates", "matrix"))
        goto done;
    data = PyBytes_FromStringAndSize(NULL, (k ? k : 1) * 8);
    if (data == NULL)
        goto done;
    int64_t *out = (int64_t *)PyBytes_AS_STRING(data);
    const int64_t *r = rows.buf;
    const uint8_t *flag = has.buf;
    /* Distinct rows first (a row comes once per band it matched), through a small hash set. */
    size_t slots = 64;
    while (slots < 2 * (size_t)k)
        slots *= 2;
    int64_t stack[1024], *set = slots <= 1024 ? stack : PyMem_Malloc(slots * sizeof(int64_t));
    if (set == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0; i < slots; i++)
        set[i] = -1;
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < k; i++) {
        if (!flag[r[i]])
            continue;
        size_t h = ((uint64_t)r[i] * 0x9E3779B97F4A7C15ull) >> 40 & (slots - 1);
        while (set[h] >= 0 && set[h] != r[i])
            h = (h + 1) & (slots - 1);
        if (set[h] < 0) {
            set[h] = r[i];
            out[m++] = r[i];
        }
    }
    if (set != stack)
        PyMem_Free(set);
    const uint64_t *keys_of = matrix.buf, *q = keys.buf;
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        const uint64_t *row = keys_of + out[i] * columns;
        for (Py_ssize_t b = 0; b < bands; b++) {
            if (row[b] == q[b]) {
                out[n++] = out[i];
                break;
            }
        }
    }
    qsort(out, (size_t)n, sizeof(int64_t), compare_rows);
    result = Py_BuildValue("(On)", data, n);
done:
    Py_XDECREF(data);
    PyBuffer_Release(&matrix);
    PyBuffer_Release(&rows);
    PyBuffer_Release(&has);
    PyBuffer_Release(&keys);
    return result;
}

/* bucket_rows(pairs: u64[], starts: u32[], slots: i64[k], masks: u64[k], screen: u64[],
 *             words) -> (bytes, n)
 * The LSH band table's lookup (dedup._BandTable.matches): for each slot s, the pairs
 * pairs[starts[slots[s]] : starts[slots[s] + 1]] XOR masks[s] that are ≤ 2**32 - 1 (the pair's
 * hash equals the query's: what is left is the row). The rows, as n int64 in the bytes. Each
 * row's line of the prefilter screen (`words` uint64 a row) is prefetched for the screen that
 * reads them next, so that the two lookups' cache misses overlap. */
static PyObject *bucket_rows(PyObject *self, PyObject *args)
{
    Py_buffer pairs, starts, slots, masks, screen;
    Py_ssize_t words;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*n", &pairs, &starts, &slots, &masks, &screen, &words))
        return NULL;
    PyObject *result = NULL, *bytes = NULL;
    Py_ssize_t k = slots.len / 8, directory = starts.len / 4, stored = pairs.len / 8;
    if (check_buffer(&pairs, 8, "pairs") || check_buffer(&starts, 4, "starts")
        || check_buffer(&slots, 8, "slots"))
        goto done;
    if (masks.len != slots.len || words < 1 || check_buffer(&screen, 8 * words, "screen")) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "bucket_rows: one mask per slot, words >= 1");
        goto done;
    }
    const uint64_t *lines = screen.buf;
    const uint64_t screened = screen.len / 8 / words;
    const int64_t *slot = slots.buf;
    const uint32_t *start = starts.buf;
    const uint64_t *pair = pairs.buf, *mask = masks.buf;
    Py_ssize_t total = 0;
    for (Py_ssize_t s = 0; s < k; s++)  /* the directory entries first: their misses overlap */
        if (slot[s] >= 0 && slot[s] + 1 < directory)
            __builtin_prefetch(start + slot[s]);
    for (Py_ssize_t s = 0; s < k; s++) {
        if (slot[s] < 0 || slot[s] + 1 >= directory || start[slot[s]] > start[slot[s] + 1]
            || (Py_ssize_t)start[slot[s] + 1] > stored) {
            PyErr_SetString(PyExc_IndexError, "bucket_rows: a slot outside the directory or its pairs");
            goto done;
        }
        /* A line every 8 pairs from the first: a bucket that starts inside a line may leave
         * its last line out (prefetching that one too measured no different, session 9). */
        for (uint32_t i = start[slot[s]]; i < start[slot[s] + 1]; i += 8)
            __builtin_prefetch(pair + i);
        total += start[slot[s] + 1] - start[slot[s]];
    }
    bytes = PyBytes_FromStringAndSize(NULL, total * 8);
    if (bytes == NULL)
        goto done;
    int64_t *out = (int64_t *)PyBytes_AS_STRING(bytes);
    Py_ssize_t n = 0;
    for (Py_ssize_t s = 0; s < k; s++) {
        const uint64_t m = mask[s];
        for (uint32_t i = start[slot[s]], end = start[slot[s] + 1]; i < end; i++) {
            uint64_t v = pair[i] ^ m;
            if (v < screened) /* into L2 only: a 1M index's ~800 lines would overflow L1 and
                                  evict each other before screen_filter reads them */
                __builtin_prefetch(lines + v * words, 0, 2);
            out[n] = (int64_t)v;
            n += v <= UINT64_C(0xFFFFFFFF);
        }
    }
    result = Py_BuildValue("Nn", bytes, n);
    bytes = NULL;
done:
    Py_XDECREF(bytes);
    PyBuffer_Release(&pairs);
    PyBuffer_Release(&starts);
    PyBuffer_Release(&slots);
    PyBuffer_Release(&masks);
    PyBuffer_Release(&screen);
    return result;
}

/* subsample(hashes: u32[n], bits, out: u32[n]) -> m: the hashes whose low `bits` bits are 0,
 * in order, into out[:m] (dedup._subsample; numpy's boolean indexing mispredicts a branch per
 * value at these densities). */
static PyObject *subsample(PyObject *self, PyObject *args)
{
    Py_buffer hashes, out;
    int bits;
    if (!PyArg_ParseTuple(args, "y*iw*", &hashes, &bits, &out))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = hashes.len / 4;
    if (check_buffer(&hashes, 4, "hashes") || out.len < hashes.len || bits < 0 || bits > 31) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "subsample: out must hold every hash, 0 <= bits < 32");
        goto done;
    }
    const uint32_t *h = hashes.buf, mask = (UINT32_C(1) << bits) - 1;
    uint32_t *o = out.buf;
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        o[m] = h[i];
        m += (h[i] & mask) == 0;
    }
    result = PyLong_FromSsize_t(m);
done:
    PyBuffer_Release(&hashes);
    PyBuffer_Release(&out);
    return result;
}

/* screen_row(hashvalues: u32[perms], planes, code, out: u64[planes * ceil(perms / 64)]):
 * the prefilter screen's row of one signature (dedup._screen_row): plane k holds bit k of
 * every value, value i at bit i % 64 of word i / 64; the top byte of plane 0's last word is
 * `code` instead. */
static PyObject *screen_row(PyObject *self, PyObject *args)
{
    Py_buffer values, out;
    Py_ssize_t planes;
    unsigned int code;
    if (!PyArg_ParseTuple(args, "y*nIw*", &values, &planes, &code, &out))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t perms = values.len / 4, width = (perms + 63) / 64;
    if (check_buffer(&values, 4, "hashvalues") || planes < 1 || planes > 32 || code > 255
        || out.len != 8 * planes * width || perms == 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "screen_row: out must be planes x ceil(perms / 64) uint64, code < 256");
        goto done;
    }
    const uint32_t *v = values.buf;
    uint64_t *o = out.buf;
    for (Py_ssize_t k = 0; k < planes; k++) {
        for (Py_ssize_t w = 0; w < width; w++) {
            uint64_t word = 0;
            for (Py_ssize_t j = 0; j < 64 && w * 64 + j < perms; j++)
                word |= (uint64_t)((v[w * 64 + j] >> k) & 1u) << j;
            o[k * width + w] = word;
        }
    }
    o[width - 1] = (o[width - 1] & ((UINT64_C(1) << 56) - 1)) | ((uint64_t)code << 56);
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&values);
    PyBuffer_Release(&out);
    return result;
}

/* 0 when `text` is a str whose characters can be read (PyUnicode_KIND, PyUnicode_DATA); -1
 * with TypeError(message), or the error of a legacy string that could not be made ready. */
static int readable_str(PyObject *text, const char *message)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, message);
        return -1;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0) /* a legacy string (no-op and deprecated from 3.12 on) */
        return -1;
#endif
    return 0;
}

/* han_count(text: str) -> int: characters in U+4E00..U+9FFF (spam._han_count). */
static PyObject *han_count(PyObject *self, PyObject *text)
{
    if (readable_str(text, "han_count: a str is needed") < 0)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), count = 0;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *u = data;
        for (Py_ssize_t i = 0; i < n; i++)
            count += (Py_UCS2)(u[i] - 0x4E00) <= 0x9FFF - 0x4E00;
    } else if (kind == PyUnicode_4BYTE_KIND) {
        const Py_UCS4 *u = data;
        for (Py_ssize_t i = 0; i < n; i++)
            count += (Py_UCS4)(u[i] - 0x4E00) <= 0x9FFF - 0x4E00;
    } /* 1-byte kind: no character reaches U+4E00 */
    return PyLong_FromSsize_t(count);
}

/* key_chars(text: str) -> str: the characters of text that are letters or digits
 * (str.isalnum), in order: "".join(re.findall(r"[^\W_]+", text)), the comparison key before
 * lower-casing (normalize.key_of_normalized). The same predicate as the re module's \w. */
static PyObject *key_chars(PyObject *self, PyObject *text)
{
    if (readable_str(text, "key_chars: a str is needed") < 0)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), kept = 0;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    char stack[4096];
    char *out = (Py_ssize_t)kind * n <= (Py_ssize_t)sizeof stack ? stack : PyMem_Malloc((size_t)kind * n);
    if (out == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (Py_UNICODE_ISALNUM(c))
            PyUnicode_WRITE(kind, out, kept++, c);
    }
    PyObject *result = kept == n ? Py_NewRef(text) : PyUnicode_FromKindAndData(kind, out, kept);
    if (out != stack)
        PyMem_Free(out);
    return result;
}

/* trigram_screen(keys: list[str], multiplier) -> list[int]
 * spam._similar_earlier's screen (its numpy form is spam._trigram_screen_numpy): the positions
 * of the keys (≥ 3 characters each) that may have a similar key, i.e. whose trigram windows
 * alone in their 16-bit hash bucket among all the keys' windows (windows do not straddle two
 * keys) number `unique` with 4 * unique <= windows - unique + 1. */
static PyObject *trigram_screen(PyObject *self, PyObject *args)
{
    PyObject *keys;
    unsigned long long multiplier;
    if (!PyArg_ParseTuple(args, "O!K", &PyList_Type, &keys, &multiplier))
        return NULL;
    Py_ssize_t count = PyList_GET_SIZE(keys), total = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        if (readable_str(key, "trigram_screen: keys must be str") < 0)
            return NULL;
        if (PyUnicode_GET_LENGTH(key) < 3) {
            PyErr_SetString(PyExc_ValueError, "trigram_screen: a key is shorter than a trigram");
            return NULL;
        }
        total += PyUnicode_GET_LENGTH(key) - 2;
    }
    uint16_t *bucket = PyMem_Malloc((total ? total : 1) * sizeof(uint16_t));
    uint8_t *seen = PyMem_Calloc(1 << 16, 1); /* windows per bucket, saturating at 2 */
    PyObject *possible = PyList_New(0);
    if (bucket == NULL || seen == NULL || possible == NULL) {
        PyMem_Free(bucket);
        PyMem_Free(seen);
        Py_XDECREF(possible);
        return PyErr_NoMemory();
    }
    Py_ssize_t w = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        Py_ssize_t n = PyUnicode_GET_LENGTH(key);
        int kind = PyUnicode_KIND(key);
        const void *data = PyUnicode_DATA(key);
        uint64_t p0 = PyUnicode_READ(kind, data, 0), p1 = PyUnicode_READ(kind, data, 1);
        for (Py_ssize_t j = 2; j < n; j++, w++) {
            uint64_t p2 = PyUnicode_READ(kind, data, j);
            uint64_t code = (p0 << 42) | (p1 << 21) | p2;
            uint16_t b = (uint16_t)((code * multiplier) >> 48);
            bucket[w] = b;
            seen[b] += seen[b] < 2;
            p0 = p1;
            p1 = p2;
        }
    }
    w = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t windows = PyUnicode_GET_LENGTH(PyList_GET_ITEM(keys, i)) - 2, unique = 0;
        for (Py_ssize_t j = 0; j < windows; j++, w++)
            unique += seen[bucket[w]] == 1;
        if (4 * unique <= windows - unique + 1) {
            PyObject *position = PyLong_FromSsize_t(i);
            if (position == NULL || PyList_Append(possible, position) < 0) {
                Py_XDECREF(position);
                Py_CLEAR(possible);
                break;
            }
            Py_DECREF(position);
        }
    }
    PyMem_Free(bucket);
    PyMem_Free(seen);
    return possible;
}

/* --- the paragraph counter's postings: sorted runs of values, with the docs beside them ------ */

/* Buffers of every item of `list` (1-D, `itemsize`-byte items, C-contiguous): into views[],
 * which the caller releases with release_views. -1 with an exception set on failure. */
static int get_views(PyObject *list, Py_buffer *views, Py_ssize_t itemsize, const char *name)
{
    Py_ssize_t runs = PyList_GET_SIZE(list);
    for (Py_ssize_t r = 0; r < runs; r++) {
        if (PyObject_GetBuffer(PyList_GET_ITEM(list, r), &views[r], PyBUF_C_CONTIGUOUS) < 0
            || check_buffer(&views[r], itemsize, name) < 0) {
            if (views[r].obj != NULL)
                PyBuffer_Release(&views[r]);
            for (Py_ssize_t q = 0; q < r; q++)
                PyBuffer_Release(&views[q]);
            return -1;
        }
    }
    return 0;
}

static void release_views(Py_buffer *views, Py_ssize_t runs)
{
    for (Py_ssize_t r = 0; r < runs; r++)
        PyBuffer_Release(&views[r]);
    PyMem_Free(views);
}

/* First position in run[lo:n] whose value is > v (run[lo] == v or lo == n), by galloping:
 * values are held by few docs mostly, boilerplate by many. */
static Py_ssize_t gallop_past(const uint64_t *run, Py_ssize_t lo, Py_ssize_t n, uint64_t v)
{
    Py_ssize_t step = 1, hi = lo + 1;
    while (hi < n && run[hi] <= v) {
        lo = hi;
        step *= 2;
        hi = lo + step;
    }
    if (hi > n)
        hi = n;
    while (lo + 1 < hi) { /* run[lo] <= v, and hi == n or run[hi] > v */
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (run[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

/* The first item of run[0:n] not below v (np.searchsorted left). Branch-free: the lookups of
 * the paragraph counter go to random values, so a branch on each comparison was mispredicted
 * half of the time; both halves' next probes are prefetched. */
static inline Py_ssize_t run_first(const uint64_t *run, Py_ssize_t n, uint64_t v)
{
    if (n == 0)
        return 0;
    const uint64_t *base = run;
    while (n > 1) {
        Py_ssize_t half = n / 2;
        __builtin_prefetch(base + half / 2);
        __builtin_prefetch(base + half + half / 2);
        base = base[half] < v ? base + half : base;
        n -= half;
    }
    return (base - run) + (*base < v);
}

/* Grows *items (of `itemsize`-byte items, *capacity of them) to hold at least `needed`. */
static int grow_to(void **items, Py_ssize_t *capacity, Py_ssize_t needed, size_t itemsize)
{
    if (needed <= *capacity)
        return 0;
    Py_ssize_t grown = *capacity ? *capacity : 64;
    while (grown < needed)
        grown *= 2;
    void *moved = PyMem_Realloc(*items, (size_t)grown * itemsize);
    if (moved == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *items = moved;
    *capacity = grown;
    return 0;
}

/* Growable buffers of docs (u32) and of i64 values. */
typedef struct {
    uint32_t *items;
    Py_ssize_t size, capacity;
} DocBuffer;

typedef struct {
    int64_t *items;
    Py_ssize_t size, capacity;
} I64Buffer;

static int doc_reserve(DocBuffer *b, Py_ssize_t more)
{
    return grow_to((void **)&b->items, &b->capacity, b->size + more, sizeof(uint32_t));
}

static int i64_append(I64Buffer *b, int64_t value)
{
    if (grow_to((void **)&b->items, &b->capacity, b->size + 1, sizeof(int64_t)) < 0)
        return -1;
    b->items[b->size++] = value;
    return 0;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Appends the docs of every run under value v to b; returns how many, -1 on failure. */
static Py_ssize_t gather_docs(const Py_buffer *runs, const Py_buffer *docs, Py_ssize_t nruns,
                              uint64_t v, DocBuffer *b)
{
    Py_ssize_t added = 0;
    for (Py_ssize_t r = 0; r < nruns; r++) {
        const uint64_t *run = runs[r].buf;
        Py_ssize_t size = runs[r].len / 8, a = run_first(run, size, v);
        if (a == size || run[a] != v)
            continue;
        Py_ssize_t e = gallop_past(run, a, size, v);
        if (doc_reserve(b, e - a) < 0)
            return -1;
        memcpy(b->items + b->size, (const uint32_t *)docs[r].buf + a, (e - a) * sizeof(uint32_t));
        b->size += e - a;
        added += e - a;
    }
    return added;
}

/* Postings under value v, over every run (dead docs included). */
static Py_ssize_t count_postings(const Py_buffer *runs, Py_ssize_t nruns, uint64_t v)
{
    Py_ssize_t held = 0;
    for (Py_ssize_t r = 0; r < nruns; r++) {
        const uint64_t *run = runs[r].buf;
        Py_ssize_t size = runs[r].len / 8, a = run_first(run, size, v);
        if (a < size && run[a] == v)
            held += gallop_past(run, a, size, v) - a;
    }
    return held;
}

/* counter_candidates(exact_runs, exact_docs, band_runs, band_docs: lists of sorted u64 runs and
 *                    their u32 docs, live: u8[L], exact: u64[T], row_of: i64[T] (a paragraph's
 *                    row of bands, or -1), bands: u64[N x width], banded: u8[N], width, needed,
 *                    min_bands)
 *   -> (candidates: bytes of i64, offsets: bytes of i64 (candidates + 1), docs: bytes of u32)
 * spam.ParagraphFrequency._candidates_numpy in one pass: for each tracked paragraph, an upper
 * bound of the pages holding it (postings under its exact fingerprint; for a paragraph with a
 * row of bands, plus those under its skeleton (column 0), and if the row is `banded`, its band
 * keys' // min_bands). Where the bound reaches `needed`: the sorted distinct live docs holding
 * it by exact fingerprint, skeleton, or at least min_bands band keys (docs[offsets[i]:
 * offsets[i+1]] for candidates[i]). The band keys of a row not banded are not read. */
static PyObject *counter_candidates(PyObject *self, PyObject *args)
{
    PyObject *exact_runs_list, *exact_docs_list, *band_runs_list, *band_docs_list;
    Py_buffer live, exact, row_of, bands, banded;
    Py_ssize_t width, needed, min_bands;
    if (!PyArg_ParseTuple(args, "O!O!O!O!y*y*y*y*y*nnn", &PyList_Type, &exact_runs_list,
                          &PyList_Type, &exact_docs_list, &PyList_Type, &band_runs_list,
                          &PyList_Type, &band_docs_list, &live, &exact, &row_of, &bands,
                          &banded, &width, &needed, &min_bands))
        return NULL;
    PyObject *result = NULL, *cand_out = NULL, *off_out = NULL, *docs_out = NULL;
    Py_ssize_t n_exact = PyList_GET_SIZE(exact_runs_list), n_bands = PyList_GET_SIZE(band_runs_list);
    Py_ssize_t views_ok = 0;
    Py_buffer *views = NULL;
    DocBuffer out = {0}, tmp = {0}, band_tmp = {0};
    I64Buffer cands = {0}, offsets = {0};
    Py_ssize_t tracked = exact.len / 8, rows = width > 0 ? bands.len / 8 / width : 0;
    if (check_buffer(&exact, 8, "exact") || check_buffer(&row_of, 8, "row_of")
        || check_buffer(&bands, 8, "bands"))
        goto done;
    if (width < 1 || min_bands < 1 || row_of.len != exact.len || bands.len != rows * width * 8
        || banded.len != rows || PyList_GET_SIZE(exact_docs_list) != n_exact || PyList_GET_SIZE(band_docs_list) != n_bands) {
        PyErr_SetString(PyExc_ValueError, "counter_candidates: inconsistent shapes");
        goto done;
    }
    views = PyMem_Calloc(2 * (n_exact + n_bands) + 1, sizeof(Py_buffer));
    if (views == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_buffer *er = views, *ed = views + n_exact, *br = ed + n_exact, *bd = br + n_bands;
    PyObject *lists[4] = {exact_runs_list, exact_docs_list, band_runs_list, band_docs_list};
    Py_buffer *parts[4] = {er, ed, br, bd};
    for (; views_ok < 4; views_ok++)
        if (get_views(lists[views_ok], parts[views_ok], views_ok % 2 ? 4 : 8,
                      views_ok % 2 ? "docs" : "run") < 0)
            goto done;
    for (Py_ssize_t r = 0; r < n_exact + n_bands; r++) {
        const Py_buffer *run = r < n_exact ? &er[r] : &br[r - n_exact];
        const Py_buffer *docs = r < n_exact ? &ed[r] : &bd[r - n_exact];
        if (docs->len / 4 != run->len / 8) {
            PyErr_SetString(PyExc_ValueError, "counter_candidates: a run and its docs differ in length");
            goto done;
        }
    }
    const uint64_t *ex = exact.buf, *bv = bands.buf;
    const int64_t *ro = row_of.buf;
    const uint8_t *alive = live.buf, *with_bands = banded.buf;
    Py_ssize_t n_live = live.len;
    for (Py_ssize_t k = 0; k < tracked; k++) {
        int64_t row = ro[k];
        if (row >= rows) {
            PyErr_Format(PyExc_IndexError, "counter_candidates: row %lld of %zd", (long long)row, rows);
            goto done;
        }
        const uint64_t *own = row >= 0 ? bv + row * width : NULL;
        Py_ssize_t own_width = own != NULL && with_bands[row] ? width : 1;
        Py_ssize_t bound = count_postings(er, n_exact, ex[k]);
        if (own != NULL) {
            Py_ssize_t held = 0;
            bound += count_postings(br, n_bands, own[0]);
            for (Py_ssize_t j = 1; j < own_width; j++)
                held += count_postings(br, n_bands, own[j]);
            bound += held / min_bands;
        }
        if (bound < needed)
            continue;
        tmp.size = 0;
        if (gather_docs(er, ed, n_exact, ex[k], &tmp) < 0)
            goto done;
        if (own != NULL) {
            if (gather_docs(br, bd, n_bands, own[0], &tmp) < 0)
                goto done;
            band_tmp.size = 0;
            for (Py_ssize_t j = 1; j < own_width; j++)
                if (gather_docs(br, bd, n_bands, own[j], &band_tmp) < 0)
                    goto done;
            qsort(band_tmp.items, band_tmp.size, sizeof(uint32_t), compare_u32);
            for (Py_ssize_t i = 0; i < band_tmp.size;) { /* docs under min_bands band keys */
                Py_ssize_t e = i;
                while (e < band_tmp.size && band_tmp.items[e] == band_tmp.items[i])
                    e++;
                if (e - i >= min_bands) {
                    if (doc_reserve(&tmp, 1) < 0)
                        goto done;
                    tmp.items[tmp.size++] = band_tmp.items[i];
                }
                i = e;
            }
        }
        qsort(tmp.items, tmp.size, sizeof(uint32_t), compare_u32);
        if (i64_append(&cands, k) < 0 || i64_append(&offsets, out.size) < 0)
            goto done;
        for (Py_ssize_t i = 0; i < tmp.size; i++) {
            uint32_t doc = tmp.items[i];
            if (i > 0 && doc == tmp.items[i - 1])
                continue;
            if ((Py_ssize_t)doc >= n_live) {
                PyErr_Format(PyExc_IndexError, "counter_candidates: doc %u of %zd", doc, n_live);
                goto done;
            }
            if (!alive[doc])
                continue;
            if (doc_reserve(&out, 1) < 0)
                goto done;
            out.items[out.size++] = doc;
        }
    }
    if (i64_append(&offsets, out.size) < 0)
        goto done;
    cand_out = PyBytes_FromStringAndSize((const char *)cands.items, cands.size * 8);
    off_out = PyBytes_FromStringAndSize((const char *)offsets.items, offsets.size * 8);
    docs_out = PyBytes_FromStringAndSize((const char *)out.items, out.size * 4);
    if (cand_out != NULL && off_out != NULL && docs_out != NULL)
        result = PyTuple_Pack(3, cand_out, off_out, docs_out);
done:
    if (views != NULL) { /* the lists whose views were all taken (get_views frees a partial one) */
        Py_ssize_t sizes[4] = {n_exact, n_exact, n_bands, n_bands}, at = 0;
        for (Py_ssize_t list = 0; list < 4; at += sizes[list], list++)
            for (Py_ssize_t r = 0; list < views_ok && r < sizes[list]; r++)
                PyBuffer_Release(&views[at + r]);
        PyMem_Free(views);
    }
    PyMem_Free(cands.items);
    PyMem_Free(offsets.items);
    PyMem_Free(out.items);
    PyMem_Free(tmp.items);
    PyMem_Free(band_tmp.items);
    Py_XDECREF(cand_out);
    Py_XDECREF(off_out);
    Py_XDECREF(docs_out);
    PyBuffer_Release(&live);
    PyBuffer_Release(&exact);
    PyBuffer_Release(&row_of);
    PyBuffer_Release(&bands);
    PyBuffer_Release(&banded);
    return result;
}

/* sorted_distinct_u32(values: u32[N], out: u32[N], scratch: u32[N]) -> count
 * The distinct values, sorted, in out[:count] (minhash._sorted_distinct): an LSD radix sort,
 * four passes of 8 bits (a pass where every value has the same digit is skipped), then one
 * pass that drops repeats. numpy's sort of a page's ~3,000 shingle hashes: 30 us; this: ~6. */
static Py_ssize_t radix_distinct(const uint32_t *in, Py_ssize_t n, uint32_t *out, uint32_t *scratch)
{
    Py_ssize_t counts[4][256];
    memset(counts, 0, sizeof counts);
    for (Py_ssize_t i = 0; i < n; i++) {
        uint32_t v = in[i];
        counts[0][v & 255]++;
        counts[1][(v >> 8) & 255]++;
        counts[2][(v >> 16) & 255]++;
        counts[3][v >> 24]++;
    }
    const uint32_t *from = in;
    /* Four passes end in `out` when `to` alternates scratch, out, scratch, out; a skipped pass
     * leaves the values where they are, so the buffers are chosen as the passes go. */
    for (int pass = 0; pass < 4; pass++) {
        Py_ssize_t *c = counts[pass];
        int shift = 8 * pass;
        if (n > 0 && c[(from[0] >> shift) & 255] == n)
            continue; /* one digit for all: this pass would not move anything */
        uint32_t *to = from == scratch ? out : scratch;
        Py_ssize_t at = 0;
        for (int d = 0; d < 256; d++) {
            Py_ssize_t held = c[d];
            c[d] = at;
            at += held;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            uint32_t v = from[i];
            to[c[(v >> shift) & 255]++] = v;
        }
        from = to;
    }
    Py_ssize_t kept = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (kept == 0 || from[i] != out[kept - 1])
            out[kept++] = from[i]; /* from == out: writes never pass the reads */
    return kept;
}

static PyObject *sorted_distinct_u32(PyObject *self, PyObject *args)
{
    Py_buffer values, out, scratch;
    if (!PyArg_ParseTuple(args, "y*w*w*", &values, &out, &scratch))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = values.len / 4;
    if (check_buffer(&values, 4, "values") || check_buffer(&out, 4, "out")
        || check_buffer(&scratch, 4, "scratch"))
        goto done;
    if (out.len / 4 < n || scratch.len / 4 < n) {
        PyErr_SetString(PyExc_ValueError, "sorted_distinct_u32: out and scratch must hold the values");
        goto done;
    }
    if (out.buf == values.buf || scratch.buf == values.buf || out.buf == scratch.buf) {
        PyErr_SetString(PyExc_ValueError, "sorted_distinct_u32: values, out and scratch must be apart");
        goto done;
    }
    result = PyLong_FromSsize_t(radix_distinct(values.buf, n, out.buf, scratch.buf));
done:
    PyBuffer_Release(&values);
    PyBuffer_Release(&out);
    PyBuffer_Release(&scratch);
    return result;
}

/* merge_postings(values_a: u64[A], docs_a: u32[A], values_b: u64[B], docs_b: u32[B], live: u8[L],
 *                out_values: u64[A+B], out_docs: u32[A+B]) -> kept
 * Two sorted runs of postings merged into one, a's before b's among equal values (numpy's
 * stable argsort of the two concatenated), without the postings of docs not `live`:
 * spam._merge_runs_numpy in one pass. */
static PyObject *merge_postings(PyObject *self, PyObject *args)
{
    Py_buffer va, da, vb, db, live, ov, od;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*w*w*", &va, &da, &vb, &db, &live, &ov, &od))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t na = va.len / 8, nb = vb.len / 8, n_live = live.len, kept = 0;
    if (check_buffer(&va, 8, "values_a") || check_buffer(&vb, 8, "values_b")
        || check_buffer(&da, 4, "docs_a") || check_buffer(&db, 4, "docs_b")
        || check_buffer(&ov, 8, "out_values") || check_buffer(&od, 4, "out_docs"))
        goto done;
    if (da.len / 4 != na || db.len / 4 != nb || ov.len / 8 < na + nb || od.len / 4 < na + nb) {
        PyErr_SetString(PyExc_ValueError, "merge_postings: inconsistent sizes");
        goto done;
    }
    const uint64_t *a = va.buf, *b = vb.buf;
    const uint32_t *a_docs = da.buf, *b_docs = db.buf;
    const uint8_t *alive = live.buf;
    uint64_t *values = ov.buf;
    uint32_t *docs = od.buf;
    Py_ssize_t i = 0, j = 0;
    while (i < na || j < nb) {
        int from_a = j == nb || (i < na && a[i] <= b[j]);
        uint64_t value = from_a ? a[i] : b[j];
        uint32_t doc = from_a ? a_docs[i++] : b_docs[j++];
        if ((Py_ssize_t)doc >= n_live) {
            PyErr_Format(PyExc_IndexError, "merge_postings: doc %u of %zd", doc, n_live);
            goto done;
        }
        values[kept] = value;
        docs[kept] = doc;
        kept += alive[doc] != 0;
    }
    result = PyLong_FromSsize_t(kept);
done:
    PyBuffer_Release(&va);
    PyBuffer_Release(&da);
    PyBuffer_Release(&vb);
    PyBuffer_Release(&db);
    PyBuffer_Release(&live);
    PyBuffer_Release(&ov);
    PyBuffer_Release(&od);
    return result;
}

/* --- normalize_text's punctuation rule ----------------------------------------------------- */

/* normalize._CJK_CLASS: Han, kana, CJK punctuation, full-width forms, curly quotes. */
static inline int is_cjk(Py_UCS4 c)
{
    return (c >= 0x2E80 && c <= 0x2FFF) || (c >= 0x3000 && c <= 0x303F) || (c >= 0x3040 && c <= 0x30FF)
           || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF)
           || (c >= 0xFF00 && c <= 0xFFEF) || c == 0x201C || c == 0x201D || c == 0x2018 || c == 0x2019;
}

/* normalize._TO_FULLWIDTH, 0 for a character it does not convert */
static inline Py_UCS4 fullwidth_of(Py_UCS4 c)
{
    switch (c) {
    case ',': return 0xFF0C;
    case ':': return 0xFF1A;
    case ';': return 0xFF1B;
    case '(': return 0xFF08;
    case ')': return 0xFF09;
    case '!': return 0xFF01;
    case '?': return 0xFF1F;
    default: return 0;
    }
}

/* punct_to_fullwidth(text: str) -> str
 * normalize._ASCII_PUNCT_NEAR_CJK.sub(normalize._punct_to_fullwidth, text), for any text: ASCII
 * , : ; ( ) ! ? made full-width where it touches a CJK character, with the whitespace between
 * them dropped. The regex's two branches, tried in order at each position left to right:
 *   (?<=[CJK])\s*([,:;()!?])   a CJK character before; whitespace, then the mark
 *   ([,:;()!?])\s*(?=[CJK])    the mark; the longest whitespace run after which a CJK
 *                              character follows (backtracking: \u3000 is both) */
static PyObject *punct_to_fullwidth(PyObject *self, PyObject *text)
{
    if (readable_str(text, "punct_to_fullwidth: a str is needed") < 0)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), out_len = 0;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_UCS4 *out = NULL;
    Py_ssize_t copied = 0; /* text[copied:i] is still to copy to out */
    for (Py_ssize_t i = 0; i < n;) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (!fullwidth_of(c) && !Py_UNICODE_ISSPACE(c)) { /* both branches start on one of these */
            i++;
            continue;
        }
        Py_ssize_t end = -1;
        Py_UCS4 mark = 0;
        if (i > 0 && is_cjk(PyUnicode_READ(kind, data, i - 1))) {
            Py_ssize_t k = i;
            while (k < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, k)))
                k++;
            if (k < n && (mark = fullwidth_of(PyUnicode_READ(kind, data, k))) != 0)
                end = k + 1;
        }
        if (end < 0 && (mark = fullwidth_of(PyUnicode_READ(kind, data, i))) != 0) {
            Py_ssize_t k = i + 1;
            while (k < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, k)))
                k++;
            for (; k > i; k--) {
                if (k < n && is_cjk(PyUnicode_READ(kind, data, k))) {
                    end = k;
                    break;
                }
            }
        }
        if (end < 0) {
            i++;
            continue;
        }
        if (out == NULL) {
            out = PyMem_Malloc((n ? n : 1) * sizeof(Py_UCS4));
            if (out == NULL)
                return PyErr_NoMemory();
        }
        for (; copied < i; copied++)
            out[out_len++] = PyUnicode_READ(kind, data, copied);
        out[out_len++] = mark;
        copied = i = end;
    }
    if (out == NULL)
        return Py_NewRef(text);
    for (; copied < n; copied++)
        out[out_len++] = PyUnicode_READ(kind, data, copied);
    PyObject *result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, out_len);
    PyMem_Free(out);
    return result;
}

/* count_in_set(text: str, bitmap: bytes (8192: a bit per BMP code point), stop: bool) -> int
 * The characters of text whose bit is set (stop: 0 or 1, at the first), or -1 when text holds
 * a character beyond the BMP, which the caller looks up another way (kernels.CharClass). */
static PyObject *count_in_set(PyObject *self, PyObject *args)
{
    PyObject *text;
    Py_buffer bitmap;
    int stop;
    if (!PyArg_ParseTuple(args, "Uy*p", &text, &bitmap, &stop))
        return NULL;
    if (bitmap.len != 8192) {
        PyBuffer_Release(&bitmap);
        PyErr_SetString(PyExc_ValueError, "count_in_set: the bitmap has 8192 bytes, a bit per BMP code point");
        return NULL;
    }
    const uint8_t *bits = bitmap.buf;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), count = 0;
    int kind = PyUnicode_KIND(text);
    if (kind == PyUnicode_4BYTE_KIND) { /* the compact form: some character is beyond U+FFFF */
        count = -1;
    } else if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *u = PyUnicode_1BYTE_DATA(text);
        for (Py_ssize_t i = 0; i < n && !(stop && count); i++)
            count += bits[u[i] >> 3] >> (u[i] & 7) & 1;
    } else {
        const Py_UCS2 *u = PyUnicode_2BYTE_DATA(text);
        for (Py_ssize_t i = 0; i < n && !(stop && count); i++)
            count += bits[u[i] >> 3] >> (u[i] & 7) & 1;
    }
    PyBuffer_Release(&bitmap);
    return PyLong_FromSsize_t(count);
}

/* translate_bmp(text, lut: u32[65536]) -> str, or None for a text beyond the BMP
 * text.translate(table) for a table of one-character values given as a lookup array over the
 * BMP (lut[c] == ord(table.get(c, chr(c)))): normalize._FastT2S.translate. */
static PyObject *translate_bmp(PyObject *self, PyObject *args)
{
    PyObject *text;
    Py_buffer lut;
    if (!PyArg_ParseTuple(args, "Uy*", &text, &lut))
        return NULL;
    PyObject *result = NULL;
    if (lut.len != 4 * 65536) {
        PyErr_SetString(PyExc_ValueError, "translate_bmp: the lookup array has 65536 uint32");
        goto done;
    }
    int kind = PyUnicode_KIND(text);
    if (kind == PyUnicode_4BYTE_KIND) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    const uint32_t *map = lut.buf;
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_UCS4 widest = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = map[PyUnicode_READ(kind, data, i)];
        if (c > widest)
            widest = c;
    }
    if (widest > 0x10FFFF) {
        PyErr_SetString(PyExc_ValueError, "translate_bmp: a value beyond U+10FFFF");
        goto done;
    }
    result = PyUnicode_New(n, widest);
    if (result == NULL)
        goto done;
    int out_kind = PyUnicode_KIND(result);
    void *out = PyUnicode_DATA(result);
    for (Py_ssize_t i = 0; i < n; i++)
        PyUnicode_WRITE(out_kind, out, i, map[PyUnicode_READ(kind, data, i)]);
done:
    PyBuffer_Release(&lut);
    return result;
}

/* A set of words for literals_in: the tables below, copied and checked once (literal_table). */
typedef struct {
    uint8_t first[8192];      /* bit c: some word starts with character c */
    Py_ssize_t n_pairs;
    uint32_t *pairs;          /* sorted: first << 16 | second character of the words */
    int32_t *pair_start;      /* [n_pairs + 1]: the words of pair p are pair_words[pair_start[p]:...] */
    int32_t *pair_words;      /* word indices, in the words' order within each pair */
    int32_t *word_start;      /* [words + 1]: word w is chars[word_start[w]:word_start[w + 1]] */
    uint16_t *chars;
} LiteralTable;

static void literal_table_release(LiteralTable *t)
{
    if (t != NULL) {
        PyMem_Free(t->pairs);
        PyMem_Free(t->pair_start);
        PyMem_Free(t->pair_words);
        PyMem_Free(t->word_start);
        PyMem_Free(t->chars);
        PyMem_Free(t);
    }
}

static void literal_table_free(PyObject *capsule)
{
    literal_table_release(PyCapsule_GetPointer(capsule, "policy_ingest.literal_table"));
}

static void *copy_of(const Py_buffer *view)
{
    void *copy = PyMem_Malloc(view->len ? (size_t)view->len : 1);
    if (copy == NULL)
        PyErr_NoMemory();
    else
        memcpy(copy, view->buf, (size_t)view->len);
    return copy;
}

/* literal_table(first: bitmap[8192], pairs: u32[P], pair_start: i32[P + 1], pair_words: i32[],
 *               word_start: i32[W + 1], chars: u16[]) -> capsule for literals_in; every index
 * checked here, once. */
static PyObject *literal_table(PyObject *self, PyObject *args)
{
    Py_buffer first, pairs, pair_start, pair_words, word_start, chars;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*", &first, &pairs, &pair_start, &pair_words,
                          &word_start, &chars))
        return NULL;
    PyObject *capsule = NULL;
    LiteralTable *t = NULL;
    Py_ssize_t n_pairs = pairs.len / 4, n_listed = pair_words.len / 4, n_words = word_start.len / 4 - 1;
    Py_ssize_t n_chars = chars.len / 2;
    if (first.len != 8192 || check_buffer(&pairs, 4, "pairs") || check_buffer(&pair_start, 4, "pair_start")
        || check_buffer(&pair_words, 4, "pair_words") || check_buffer(&word_start, 4, "word_start")
        || check_buffer(&chars, 2, "chars") || pair_start.len / 4 != n_pairs + 1 || n_words < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "literal_table: inconsistent tables");
        goto done;
    }
    const uint32_t *code = pairs.buf;
    const int32_t *ps = pair_start.buf, *pw = pair_words.buf, *ws = word_start.buf;
    int bad = ps[0] != 0;
    for (Py_ssize_t p = 0; p < n_pairs && !bad; p++)
        bad = ps[p] > ps[p + 1] || ps[p + 1] > n_listed || (p > 0 && code[p - 1] >= code[p]);
    for (Py_ssize_t i = 0; i < n_listed && !bad; i++)
        bad = pw[i] < 0 || pw[i] >= n_words;
    for (Py_ssize_t w = 0; w < n_words && !bad; w++)
        bad = ws[w] < 0 || ws[w + 1] - ws[w] < 2 || ws[w + 1] > n_chars;
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "literal_table: an index outside the tables, or unsorted pairs");
        goto done;
    }
    t = PyMem_Calloc(1, sizeof(LiteralTable));
    if (t == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    memcpy(t->first, first.buf, 8192);
    t->n_pairs = n_pairs;
    if ((t->pairs = copy_of(&pairs)) == NULL || (t->pair_start = copy_of(&pair_start)) == NULL
        || (t->pair_words = copy_of(&pair_words)) == NULL || (t->word_start = copy_of(&word_start)) == NULL
        || (t->chars = copy_of(&chars)) == NULL)
        goto done;
    capsule = PyCapsule_New(t, "policy_ingest.literal_table", literal_table_free);
    if (capsule != NULL)
        t = NULL; /* the capsule owns it */
done:
    literal_table_release(t);
    PyBuffer_Release(&first);
    PyBuffer_Release(&pairs);
    PyBuffer_Release(&pair_start);
    PyBuffer_Release(&pair_words);
    PyBuffer_Release(&word_start);
    PyBuffer_Release(&chars);
    return capsule;
}

/* literals_in(text, table: literal_table's capsule, stop) -> list of word indices, or None for
 * a text beyond the BMP
 * The leftmost non-overlapping occurrences of a set of words (BMP strings of two or more
 * characters), the words tried in their order at each position: what
 * re.compile("|".join(map(re.escape, words))).findall finds (kernels.LiteralSet). A position
 * is tried only when its character starts a word and the pair it starts is one a word starts
 * with. `stop`: return at the first occurrence. */
static PyObject *literals_in(PyObject *self, PyObject *args)
{
    PyObject *text, *capsule;
    int stop;
    if (!PyArg_ParseTuple(args, "UOp", &text, &capsule, &stop))
        return NULL;
    const LiteralTable *t = PyCapsule_GetPointer(capsule, "policy_ingest.literal_table");
    if (t == NULL)
        return NULL;
    int kind = PyUnicode_KIND(text);
    if (kind == PyUnicode_4BYTE_KIND) /* a character beyond U+FFFF: the caller's pattern does it */
        Py_RETURN_NONE;
    PyObject *found = PyList_New(0);
    if (found == NULL)
        return NULL;
    const void *data = PyUnicode_DATA(text);
    const uint32_t *code = t->pairs;
    const int32_t *ps = t->pair_start, *pw = t->pair_words, *ws = t->word_start;
    const uint16_t *wc = t->chars;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0, n_pairs = t->n_pairs;
    while (i + 1 < n) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (!(t->first[c >> 3] >> (c & 7) & 1)) {
            i++;
            continue;
        }
        uint32_t pair = (uint32_t)c << 16 | (uint32_t)PyUnicode_READ(kind, data, i + 1);
        Py_ssize_t lo = 0, hi = n_pairs; /* the first code not below `pair` */
        while (lo < hi) {
            Py_ssize_t mid = lo + (hi - lo) / 2;
            if (code[mid] < pair)
                lo = mid + 1;
            else
                hi = mid;
        }
        Py_ssize_t matched = 0;
        if (lo < n_pairs && code[lo] == pair) {
            for (Py_ssize_t k = ps[lo]; k < ps[lo + 1] && !matched; k++) {
                int32_t w = pw[k];
                Py_ssize_t length = ws[w + 1] - ws[w], j = 2;
                if (i + length > n)
                    continue;
                while (j < length && PyUnicode_READ(kind, data, i + j) == wc[ws[w] + j])
                    j++;
                if (j < length)
                    continue;
                PyObject *index = PyLong_FromLong(w);
                if (index == NULL || PyList_Append(found, index) < 0) {
                    Py_XDECREF(index);
                    Py_DECREF(found);
                    return NULL;
                }
                Py_DECREF(index);
                if (stop)
                    return found;
                matched = length;
            }
        }
        i += matched ? matched : 1;
    }
    return found;
}

/* --- BLAKE2b (RFC 7693) with an 8-byte digest: the paragraph counter's fingerprints -------- */

static const uint64_t BLAKE2B_IV[8] = {
    0x6A09E667F3BCC908ull, 0xBB67AE8584CAA73Bull, 0x3C6EF372FE94F82Bull, 0xA54FF53A5F1D36F1ull,
    0x510E527FADE682D1ull, 0x9B05688C2B3E6C1Full, 0x1F83D9ABFB41BD6Bull, 0x5BE0CD19137E2179ull,
};

static const uint8_t BLAKE2B_SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

static inline uint64_t rotr64(uint64_t x, int r) { return (x >> r) | (x << (64 - r)); }

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

#define B2_G(a, b, c, d, x, y)          \
    do {                                \
        a = a + b + (x);                \
        d = rotr64(d ^ a, 32);          \
        c = c + d;                      \
        b = rotr64(b ^ c, 24);          \
        a = a + b + (y);                \
        d = rotr64(d ^ a, 16);          \
        c = c + d;                      \
        b = rotr64(b ^ c, 63);          \
    } while (0)

static void blake2b_compress(uint64_t h[8], const uint8_t block[128], uint64_t counter, int last)
{
    uint64_t m[16], v[16];
    for (int i = 0; i < 16; i++)
        m[i] = load64(block + 8 * i);
    for (int i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = BLAKE2B_IV[i];
    }
    v[12] ^= counter; /* inputs here are far below 2**64 bytes: the counter's high word is 0 */
    if (last)
        v[14] = ~v[14];
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = BLAKE2B_SIGMA[r];
        B2_G(v[0], v[4], v[8], v[12], m[s[0]], m[s[1]]);
        B2_G(v[1], v[5], v[9], v[13], m[s[2]], m[s[3]]);
        B2_G(v[2], v[6], v[10], v[14], m[s[4]], m[s[5]]);
        B2_G(v[3], v[7], v[11], v[15], m[s[6]], m[s[7]]);
        B2_G(v[0], v[5], v[10], v[15], m[s[8]], m[s[9]]);
        B2_G(v[1], v[6], v[11], v[12], m[s[10]], m[s[11]]);
        B2_G(v[2], v[7], v[8], v[13], m[s[12]], m[s[13]]);
        B2_G(v[3], v[4], v[9], v[14], m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; i++)
        h[i] ^= v[i] ^ v[i + 8];
}

/* int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little") */
static uint64_t blake2b_64(const uint8_t *data, Py_ssize_t n)
{
    uint64_t h[8];
    memcpy(h, BLAKE2B_IV, sizeof h);
    h[0] ^= 0x01010000ull ^ 8; /* depth 1, fanout 1, no key, 8-byte digest */
    uint64_t counter = 0;
    while (n > 128) {
        counter += 128;
        blake2b_compress(h, data, counter, 0);
        data += 128;
        n -= 128;
    }
    uint8_t last[128] = {0};
    memcpy(last, data, (size_t)n);
    blake2b_compress(h, last, counter + (uint64_t)n, 1);
    return h[0];
}

/* The UTF-8 bytes of code points `cp[0:n]` into `out` (room for 4 per code point); their
 * number, or -1 at a surrogate (which str.encode("utf-8") refuses). Not PyUnicode_AsUTF8:
 * that keeps a UTF-8 copy on every key string for as long as the string lives. */
static Py_ssize_t utf8_of(const uint32_t *cp, Py_ssize_t n, uint8_t *out)
{
    uint8_t *o = out;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint32_t c = cp[i];
        if (c < 0x80) {
            *o++ = (uint8_t)c;
        } else if (c < 0x800) {
            *o++ = (uint8_t)(0xC0 | (c >> 6));
            *o++ = (uint8_t)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            if (c >= 0xD800 && c <= 0xDFFF)
                return -1;
            *o++ = (uint8_t)(0xE0 | (c >> 12));
            *o++ = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (uint8_t)(0x80 | (c & 0x3F));
        } else {
            *o++ = (uint8_t)(0xF0 | (c >> 18));
            *o++ = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
            *o++ = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (uint8_t)(0x80 | (c & 0x3F));
        }
    }
    return o - out;
}

/* (1 << 63) | x >> 1 and friends, as Python ints, into a new tuple */
static PyObject *entry_tuple(const uint64_t *values, Py_ssize_t n)
{
    PyObject *entry = PyTuple_New(n);
    if (entry == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *value = PyLong_FromUnsignedLongLong(values[i]);
        if (value == NULL) {
            Py_DECREF(entry);
            return NULL;
        }
        PyTuple_SET_ITEM(entry, i, value);
    }
    return entry;
}

#define ENTRY_PERMS 16
#define ENTRY_BANDS 8

/* paragraph_entries(keys: list[str], a: u32[16], b: u32[16], width, min_skeleton, banded: bool)
 *   -> list[tuple]
 * spam._entries_of_python for every key: (fingerprint,) when the skeleton (the key without
 * ASCII digits and a-z) has fewer than min_skeleton characters, else (fingerprint, the
 * skeleton's fingerprint marked), followed if `banded` by the 8 band keys of the skeleton's
 * 16-permutation MinHash. */
static PyObject *paragraph_entries(PyObject *self, PyObject *args)
{
    PyObject *keys;
    Py_buffer a, b;
    Py_ssize_t width, min_skeleton;
    int banded;
    if (!PyArg_ParseTuple(args, "O!y*y*nnp", &PyList_Type, &keys, &a, &b, &width, &min_skeleton,
                          &banded))
        return NULL;
    PyObject *result = NULL, *entries = NULL;
    uint32_t *cp = NULL, *skeleton = NULL, *k = NULL, *mixed = NULL;
    uint8_t *bytes = NULL;
    if (a.len != ENTRY_PERMS * 4 || b.len != ENTRY_PERMS * 4 || width < 1 || min_skeleton < width) {
        PyErr_SetString(PyExc_ValueError, "paragraph_entries: 16 permutations, 1 <= width <= min_skeleton");
        goto done;
    }
    Py_ssize_t count = PyList_GET_SIZE(keys), longest = 1;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        if (readable_str(key, "paragraph_entries: keys must be str") < 0)
            goto done;
        if (PyUnicode_GET_LENGTH(key) > longest)
            longest = PyUnicode_GET_LENGTH(key);
    }
    cp = PyMem_Malloc(longest * sizeof(uint32_t));
    skeleton = PyMem_Malloc(longest * sizeof(uint32_t));
    k = PyMem_Malloc(longest * sizeof(uint32_t));
    mixed = PyMem_Malloc(longest * sizeof(uint32_t));
    bytes = PyMem_Malloc(4 * longest);
    entries = PyList_New(count);
    if (cp == NULL || skeleton == NULL || k == NULL || mixed == NULL || bytes == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (entries == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        Py_ssize_t n = PyUnicode_GET_LENGTH(key), s = 0;
        int kind = PyUnicode_KIND(key);
        const void *data = PyUnicode_DATA(key);
        for (Py_ssize_t j = 0; j < n; j++) {
            uint32_t c = PyUnicode_READ(kind, data, j);
            cp[j] = c;
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')))
                skeleton[s++] = c;
        }
        uint64_t values[2 + ENTRY_BANDS];
        Py_ssize_t size = utf8_of(cp, n, bytes);
        if (size < 0) { /* let Python raise its own UnicodeEncodeError */
            Py_XDECREF(PyUnicode_AsUTF8String(key));
            goto done;
        }
        values[0] = blake2b_64(bytes, size);
        Py_ssize_t fields = 1;
        if (s >= min_skeleton) {
            uint64_t skeleton_fp = s == n ? values[0] : blake2b_64(bytes, utf8_of(skeleton, s, bytes));
            values[1] = (1ull << 63) | (skeleton_fp >> 1);
            fields = 2;
        }
        if (s >= min_skeleton && banded) {
            uint32_t signature[ENTRY_PERMS];
            for (Py_ssize_t j = 0; j < s; j++)
                k[j] = block_mix(skeleton[j]);
            string_minhash(k, s, width, a.buf, b.buf, ENTRY_PERMS, mixed, signature);
            /* band key: the fingerprint of the hex digits of the band's bytes (little-endian) */
            static const char hex[] = "0123456789abcdef";
            const uint8_t *raw = (const uint8_t *)signature;
            for (int band = 0; band < ENTRY_BANDS; band++) {
                uint8_t digits[16];
                for (int j = 0; j < 8; j++) {
                    uint8_t byte = raw[8 * band + j];
                    digits[2 * j] = (uint8_t)hex[byte >> 4];
                    digits[2 * j + 1] = (uint8_t)hex[byte & 15];
                }
                values[2 + band] = ((uint64_t)band << 58) ^ (blake2b_64(digits, 16) >> 6);
            }
            fields = 2 + ENTRY_BANDS;
        }
        PyObject *entry = entry_tuple(values, fields);
        if (entry == NULL)
            goto done;
        PyList_SET_ITEM(entries, i, entry);
    }
    result = entries;
    entries = NULL;
done:
    Py_XDECREF(entries);
    PyMem_Free(cp);
    PyMem_Free(skeleton);
    PyMem_Free(k);
    PyMem_Free(mixed);
    PyMem_Free(bytes);
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return result;
}

/* blake2b_64(data: bytes) -> int: the fingerprint function alone (for the tests). */
static PyObject *blake2b_64_py(PyObject *self, PyObject *args)
{
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "y*", &data))
        return NULL;
    uint64_t value = blake2b_64(data.buf, data.len);
    PyBuffer_Release(&data);
    return PyLong_FromUnsignedLongLong(value);
}

static PyMethodDef methods[] = {
    {"murmur_windows", murmur_windows, METH_VARARGS,
     "murmur_windows(codepoints, width, out): murmur3_32 of every width-character window."},
    {"minhash_values", minhash_values, METH_VARARGS,
     "minhash_values(hashes, a, b, out): out = min(out, a * fmix32(hashes) + b) per permutation."},
    {"grouped_minhash", grouped_minhash, METH_VARARGS,
     "grouped_minhash(codepoints, lengths, width, a, b, out): one MinHash row per string."},
    {"bucket_rows", bucket_rows, METH_VARARGS,
     "bucket_rows(pairs, starts, slots, masks): rows of the band-table buckets, as (bytes, n)."},
    {"subsample", subsample, METH_VARARGS,
     "subsample(hashes, bits, out): the hashes with `bits` low zero bits into out; their number."},
    {"screen_row", screen_row, METH_VARARGS,
     "screen_row(hashvalues, planes, code, out): the prefilter screen's row of a signature."},
    {"han_count", han_count, METH_O, "han_count(text): characters in U+4E00..U+9FFF."},
    {"screen_filter", screen_filter, METH_VARARGS,
     "screen_filter(screen, rows, query, planes, limits): the rows the screen lets through, as (bytes, n)."},
    {"band_candidates", band_candidates, METH_VARARGS,
     "band_candidates(matrix, columns, rows, has_signature, keys): distinct rows sharing a band, as (bytes, n)."},
    {"prefilter_rows", prefilter_rows, METH_VARARGS,
     "prefilter_rows(matrix, numbers, rows, query, shingle_count, prefilter): rows passing dedup's prefilter, as (positions, estimates) bytes."},
    {"paragraph_entries", paragraph_entries, METH_VARARGS,
     "paragraph_entries(keys, a, b, width, min_skeleton): the paragraph counter's entry of every key."},
    {"sorted_distinct_u32", sorted_distinct_u32, METH_VARARGS,
     "sorted_distinct_u32(values, out, scratch): the distinct values sorted into out; their count."},
    {"translate_bmp", translate_bmp, METH_VARARGS,
     "translate_bmp(text, lut): text.translate for a lookup array of one-character values over the BMP; None beyond the BMP."},
    {"literal_table", literal_table, METH_VARARGS,
     "literal_table(first, pairs, pair_start, pair_words, word_start, chars): a set of words for literals_in, checked once."},
    {"literals_in", literals_in, METH_VARARGS,
     "literals_in(text, table, stop): the indices of the words found, leftmost first, as the regex alternation finds them; None beyond the BMP."},
    {"merge_postings", merge_postings, METH_VARARGS,
     "merge_postings(values_a, docs_a, values_b, docs_b, live, out_values, out_docs): two sorted runs of postings merged, dead docs dropped; the count kept."},
    {"counter_candidates", counter_candidates, METH_VARARGS,
     "counter_candidates(exact_runs, exact_docs, band_runs, band_docs, live, exact, row_of, bands, width, needed, min_bands): the counter's candidate paragraphs and their live docs."},
    {"trigram_screen", trigram_screen, METH_VARARGS,
     "trigram_screen(keys, multiplier): positions of the keys that may have a similar key."},
    {"punct_to_fullwidth", punct_to_fullwidth, METH_O,
     "punct_to_fullwidth(text): ASCII punctuation touching CJK made full-width (normalize_text)."},
    {"count_in_set", count_in_set, METH_VARARGS,
     "count_in_set(text, bitmap, stop): characters of text in a BMP set; -1 beyond the BMP."},
    {"key_chars", key_chars, METH_O, "key_chars(text): the letters and digits of text (str.isalnum)."},
    {"blake2b_64", blake2b_64_py, METH_VARARGS,
     "blake2b_64(data): int.from_bytes(blake2b(data, digest_size=8).digest(), 'little')."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "Compiled inner loops of the MinHash and near-duplicate stages (see pipelines.kernels).",
    -1, methods,
};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
