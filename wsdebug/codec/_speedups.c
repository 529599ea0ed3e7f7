/* XOR masking for RFC 6455 §5.3 in C: the one hot loop of the codec that Python cannot do fast.
 *
 * unmask(data, key, phase=0) -> bytes
 *   data:  any object supporting the buffer protocol (bytes, bytearray, memoryview)
 *   key:   exactly 4 bytes
 *   phase: index of the key byte that applies to data[0] (0-3), for payloads unmasked in pieces
 *
 * The key is widened to 8 bytes and applied a word at a time; compilers vectorise the loop.
 * This module is optional: wsdebug.codec.mask falls back to a pure-Python path without it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* payloads from this size up are unmasked without the GIL */
#define RELEASE_GIL_MIN (256 * 1024)
#include <stdint.h>
#include <string.h>

static PyObject *
unmask(PyObject *self, PyObject *args)
{
    Py_buffer data, key;
    int phase = 0;
    if (!PyArg_ParseTuple(args, "y*y*|i", &data, &key, &phase))
        return NULL;
    if (key.len != 4) {
        PyBuffer_Release(&data);
        PyBuffer_Release(&key);
        PyErr_SetString(PyExc_ValueError, "the mask key must be 4 bytes");
        return NULL;
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, data.len);
    if (result != NULL) {
        const unsigned char *src = (const unsigned char *)data.buf;
        const unsigned char *k = (const unsigned char *)key.buf;
        unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(result);
        Py_ssize_t n = data.len, i = 0;
        unsigned char rot[8];
        for (int j = 0; j < 8; j++)
            rot[j] = k[(phase + j) & 3];
        uint64_t k64;
        memcpy(&k64, rot, 8);
        /* The GIL is let go only for a large payload: a thread waiting for it (the display,
           the JSON writer) would take it, and taking it back costs up to a switch interval,
           far more than unmasking a small payload (100 B frames took 17 us a call). */
        PyThreadState *saved = n >= RELEASE_GIL_MIN ? PyEval_SaveThread() : NULL;
        for (; i + 8 <= n; i += 8) {
            uint64_t w;
            memcpy(&w, src + i, 8);
            w ^= k64;
            memcpy(dst + i, &w, 8);
        }
        for (; i < n; i++)
            dst[i] = src[i] ^ rot[i & 7];
        if (saved != NULL)
            PyEval_RestoreThread(saved);
    }
    PyBuffer_Release(&data);
    PyBuffer_Release(&key);
    return result;
}

static PyMethodDef methods[] = {
    {"unmask", unmask, METH_VARARGS, "unmask(data, key, phase=0) -> bytes: XOR with the 4-byte key."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "wsdebug.codec._speedups", "C masking for wsdebug.", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
