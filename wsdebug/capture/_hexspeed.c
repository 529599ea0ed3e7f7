/* Lower-case hex of a recording's chunks in C: the one hot loop of ``--record``.
 *
 * hexlify(data) -> bytes
 *   data: any object supporting the buffer protocol (bytes, bytearray, memoryview)
 *
 * Exactly binascii.hexlify's result.  Sixteen bytes at a time with SSE2 (every x86-64 has
 * it): each nibble n becomes '0' + n, plus 39 more when n > 9 ('a' - '0' - 10); a table
 * loop does the rest and other machines.  binascii does one table lookup per nibble, about
 * 0.7 GB/s; this is several times that, which is most of what recording a megabyte costs.
 * The GIL is let go for large inputs.  Optional: wsdebug.capture.format falls back to
 * binascii.hexlify without it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static const char DIGITS[] = "0123456789abcdef";

static void
hex_table(const unsigned char *src, unsigned char *dst, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        dst[2 * i] = (unsigned char)DIGITS[src[i] >> 4];
        dst[2 * i + 1] = (unsigned char)DIGITS[src[i] & 0x0f];
    }
}

static void
hex_bytes(const unsigned char *src, unsigned char *dst, Py_ssize_t n)
{
    Py_ssize_t i = 0;
#if defined(__SSE2__)
    const __m128i low4 = _mm_set1_epi8(0x0f);
    const __m128i nine = _mm_set1_epi8(9);
    const __m128i zero = _mm_set1_epi8('0');
    const __m128i letters = _mm_set1_epi8('a' - '0' - 10);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
        __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), low4);
        __m128i lo = _mm_and_si128(v, low4);
        __m128i a = _mm_unpacklo_epi8(hi, lo); /* hi0 lo0 hi1 lo1 ... for bytes 0-7 */
        __m128i b = _mm_unpackhi_epi8(hi, lo); /* bytes 8-15 */
        a = _mm_add_epi8(_mm_add_epi8(a, zero), _mm_and_si128(_mm_cmpgt_epi8(a, nine), letters));
        b = _mm_add_epi8(_mm_add_epi8(b, zero), _mm_and_si128(_mm_cmpgt_epi8(b, nine), letters));
        _mm_storeu_si128((__m128i *)(dst + 2 * i), a);
        _mm_storeu_si128((__m128i *)(dst + 2 * i + 16), b);
    }
#endif
    hex_table(src + i, dst + 2 * i, n - i);
}

static PyObject *
hexlify(PyObject *self, PyObject *arg)
{
    Py_buffer data;
    if (PyObject_GetBuffer(arg, &data, PyBUF_SIMPLE) < 0)
        return NULL;
    if (data.len > PY_SSIZE_T_MAX / 2) {
        PyBuffer_Release(&data);
        return PyErr_NoMemory();
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, data.len * 2);
    if (result != NULL) {
        const unsigned char *src = (const unsigned char *)data.buf;
        unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(result);
        if (data.len >= 65536) {
            Py_BEGIN_ALLOW_THREADS
            hex_bytes(src, dst, data.len);
            Py_END_ALLOW_THREADS
        } else {
            hex_bytes(src, dst, data.len);
        }
    }
    PyBuffer_Release(&data);
    return result;
}

static PyMethodDef methods[] = {
    {"hexlify", hexlify, METH_O, "hexlify(data) -> bytes: lower-case hex, as binascii.hexlify."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_hexspeed", "Hex for recordings, in C.", -1, methods,
};

PyMODINIT_FUNC
PyInit__hexspeed(void)
{
    return PyModule_Create(&module);
}
