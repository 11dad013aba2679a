/* fastlog_read._speedups: the view command's unfiltered path over fastlog's default layout.
 *
 * render_chunk(lines, levels, colors, value, loads, fallback) -> bytes
 *
 * The UTF-8 text of Renderer.render_lines for a chunk of raw lines, written straight into one
 * buffer instead of building a str per part. Only the common line is handled here: fastlog's
 * default layout (`{"timestamp":"...Z",...`), a level found in *levels*, str parts, no
 * exception. Every other line is handed to *fallback* (Python: the renderer's per-line path),
 * so a line is either rendered exactly as the Python path renders it or by the Python path
 * itself. Values other than str and int go through *value* (the renderer's _value).
 *
 * The Python twin is Renderer._render_one; tests/read/test_render.py checks both give the
 * same bytes (hypothesis). Built by hatch_build.py next to fastlog_core._speedups.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static PyObject *k_timestamp, *k_level, *k_logger, *k_message, *k_exception;

typedef struct {
    char *data;
    Py_ssize_t len;
    Py_ssize_t cap;
} Buf;

static int
buf_grow(Buf *buf, Py_ssize_t extra)
{
    Py_ssize_t need = buf->len + extra;
    if (need <= buf->cap) {
        return 0;
    }
    Py_ssize_t cap = buf->cap ? buf->cap : 1 << 16;
    while (cap < need) {
        cap *= 2;
    }
    char *data = PyMem_Realloc(buf->data, (size_t)cap);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    buf->data = data;
    buf->cap = cap;
    return 0;
}

static inline int
buf_put(Buf *buf, const char *text, Py_ssize_t n)
{
    if (buf->len + n > buf->cap && buf_grow(buf, n) < 0) {
        return -1;
    }
    memcpy(buf->data + buf->len, text, (size_t)n);
    buf->len += n;
    return 0;
}

/* Appends the UTF-8 of str *text*; 1 when it has none (lone surrogates: the line falls back). */
static inline int
buf_str(Buf *buf, PyObject *text)
{
    Py_ssize_t n;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &n);
    if (utf8 == NULL) {
        PyErr_Clear();
        return 1;
    }
    return buf_put(buf, utf8, n);
}

/* Appends a str the renderer built (repr, _value), or reports 1 as buf_str does. */
static int
buf_owned(Buf *buf, PyObject *text)
{
    if (text == NULL) {
        return -1;
    }
    int done = PyUnicode_Check(text) ? buf_str(buf, text) : 1;
    Py_DECREF(text);
    return done;
}

/* Whether *key* is one of the parts the line's head shows (so not a field). */
static inline int
is_head_key(PyObject *key)
{
    if (key == k_timestamp || key == k_level || key == k_logger || key == k_message ||
        key == k_exception) {
        return 1;
    }
    if (!PyUnicode_IS_ASCII(key)) {
        return 0;
    }
    const char *text = (const char *)PyUnicode_DATA(key);
    switch (PyUnicode_GET_LENGTH(key)) {
    case 5:
        return memcmp(text, "level", 5) == 0;
    case 6:
        return memcmp(text, "logger", 6) == 0;
    case 7:
        return memcmp(text, "message", 7) == 0;
    case 9:
        return memcmp(text, "timestamp", 9) == 0 || memcmp(text, "exception", 9) == 0;
    default:
        return 0;
    }
}

/* One field value as the renderer's _fields writes it: 0 done, 1 fall back, -1 error. */
static int
put_value(Buf *buf, PyObject *value, PyObject *value_fn)
{
    if (PyUnicode_CheckExact(value)) {
        Py_ssize_t n;
        const char *utf8 = PyUnicode_AsUTF8AndSize(value, &n);
        if (utf8 == NULL) {
            PyErr_Clear();
            return 1;
        }
        if (n > 0 && memchr(utf8, ' ', (size_t)n) == NULL && memchr(utf8, '=', (size_t)n) == NULL) {
            return buf_put(buf, utf8, n);
        }
        return buf_owned(buf, PyObject_Repr(value));
    }
    if (PyLong_CheckExact(value)) {
        int overflow;
        long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (!overflow && !(number == -1 && PyErr_Occurred())) {
            char digits[24];
            int n = snprintf(digits, sizeof digits, "%lld", number);
            return buf_put(buf, digits, n);
        }
        PyErr_Clear();
        return buf_owned(buf, PyObject_Str(value));
    }
    return buf_owned(buf, PyObject_CallOneArg(value_fn, value));
}

/* Renders one parsed line into buf: 0 done, 1 fall back, -1 error. */
static int
render_dict(Buf *buf, PyObject *d, PyObject *levels, int colors, PyObject *value_fn)
{
    PyObject *level = PyDict_GetItemWithError(d, k_level);
    if (level == NULL) {
        return PyErr_Occurred() ? -1 : 1;
    }
    PyObject *message = PyDict_GetItemWithError(d, k_message);
    if (message == NULL) {
        return PyErr_Occurred() ? -1 : 1;
    }
    PyObject *ts = PyDict_GetItemWithError(d, k_timestamp);
    if (ts == NULL) {
        return PyErr_Occurred() ? -1 : 1;
    }
    PyObject *logger = PyDict_GetItemWithError(d, k_logger);
    if (logger == NULL && PyErr_Occurred()) {
        return -1;
    }
    PyObject *exception = PyDict_GetItemWithError(d, k_exception);
    if (exception == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (exception != NULL && exception != Py_None) {
        return 1; /* tracebacks: the Python path */
    }
    if (!PyUnicode_CheckExact(ts) || !PyUnicode_CheckExact(level) ||
        !PyUnicode_CheckExact(message) || (logger != NULL && !PyUnicode_CheckExact(logger))) {
        return 1;
    }
    if (!PyUnicode_IS_ASCII(ts) || PyUnicode_GET_LENGTH(ts) < 26) {
        return 1;
    }
    PyObject *pad = PyDict_GetItemWithError(levels, level);
    if (pad == NULL) {
        return PyErr_Occurred() ? -1 : 1;
    }
    if (!PyBytes_Check(pad)) {
        return 1;
    }
    const char *clock = (const char *)PyUnicode_DATA(ts) + 11;
    int done;
    if (colors) {
        done = buf_put(buf, "\x1b[2m", 4);
        if (done == 0) done = buf_put(buf, clock, 15);
        if (done == 0) done = buf_put(buf, "\x1b[0m ", 5);
    }
    else {
        done = buf_put(buf, clock, 15);
        if (done == 0) done = buf_put(buf, " ", 1);
    }
    if (done == 0) done = buf_put(buf, PyBytes_AS_STRING(pad), PyBytes_GET_SIZE(pad));
    if (done == 0) done = buf_put(buf, " ", 1);
    if (done == 0 && logger != NULL) done = buf_str(buf, logger);
    if (done == 0) done = buf_put(buf, "  ", 2);
    if (done == 0) done = buf_str(buf, message);
    if (done != 0) {
        return done;
    }
    Py_ssize_t pos = 0, shown = 0;
    PyObject *key, *value;
    while (PyDict_Next(d, &pos, &key, &value)) {
        if (!PyUnicode_Check(key)) {
            return 1;
        }
        if (is_head_key(key)) {
            continue;
        }
        if (shown == 0) {
            done = colors ? buf_put(buf, "  \x1b[2m", 6) : buf_put(buf, "  ", 2);
        }
        else {
            done = buf_put(buf, " ", 1);
        }
        if (done == 0) done = buf_str(buf, key);
        if (done == 0) done = buf_put(buf, "=", 1);
        if (done == 0) done = put_value(buf, value, value_fn);
        if (done != 0) {
            return done;
        }
        shown++;
    }
    if (shown && colors) {
        done = buf_put(buf, "\x1b[0m", 4);
    }
    if (done == 0) done = buf_put(buf, "\n", 1);
    return done;
}

static PyObject *
render_chunk(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "render_chunk() takes 6 arguments");
        return NULL;
    }
    PyObject *lines = args[0], *levels = args[1], *value_fn = args[3], *loads = args[4],
             *fallback = args[5];
    int colors = PyObject_IsTrue(args[2]);
    if (colors < 0) {
        return NULL;
    }
    if (!PyList_Check(lines) || !PyDict_Check(levels)) {
        PyErr_SetString(PyExc_TypeError, "render_chunk() takes a list of lines and a dict");
        return NULL;
    }
    Buf buf = {NULL, 0, 0};
    Py_ssize_t count = PyList_GET_SIZE(lines);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        Py_ssize_t start = buf.len;
        int done = 1;
        if (PyBytes_Check(line) && PyBytes_GET_SIZE(line) >= 42) {
            const char *raw = PyBytes_AS_STRING(line);
            if (memcmp(raw, "{\"timestamp\":\"", 14) == 0 && raw[40] == 'Z' && raw[41] == '"') {
                PyObject *d = PyObject_CallOneArg(loads, line);
                if (d == NULL) {
                    PyErr_Clear(); /* the Python path reports what it must */
                }
                else {
                    if (PyDict_CheckExact(d)) {
                        done = render_dict(&buf, d, levels, colors, value_fn);
                    }
                    Py_DECREF(d);
                    if (done < 0) {
                        PyMem_Free(buf.data);
                        return NULL;
                    }
                }
            }
        }
        if (done == 0) {
            continue;
        }
        buf.len = start; /* whatever this line wrote before falling back */
        PyObject *text = PyObject_CallOneArg(fallback, line);
        if (text == NULL) {
            PyMem_Free(buf.data);
            return NULL;
        }
        PyObject *encoded = PyUnicode_AsEncodedString(text, "utf-8", "backslashreplace");
        Py_DECREF(text);
        if (encoded == NULL) {
            PyMem_Free(buf.data);
            return NULL;
        }
        int put = buf_put(&buf, PyBytes_AS_STRING(encoded), PyBytes_GET_SIZE(encoded));
        Py_DECREF(encoded);
        if (put < 0) {
            PyMem_Free(buf.data);
            return NULL;
        }
    }
    PyObject *out = PyBytes_FromStringAndSize(buf.data ? buf.data : "", buf.len);
    PyMem_Free(buf.data);
    return out;
}

static PyMethodDef methods[] = {
    {"render_chunk", (PyCFunction)(void (*)(void))render_chunk, METH_FASTCALL,
     "render_chunk(lines, levels, colors, value, loads, fallback) -> bytes"},
    {NULL, NULL, 0, NULL},
};

static int
exec_module(PyObject *Py_UNUSED(module))
{
    k_timestamp = PyUnicode_InternFromString("timestamp");
    k_level = PyUnicode_InternFromString("level");
    k_logger = PyUnicode_InternFromString("logger");
    k_message = PyUnicode_InternFromString("message");
    k_exception = PyUnicode_InternFromString("exception");
    if (!k_timestamp || !k_level || !k_logger || !k_message || !k_exception) {
        return -1;
    }
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
    {0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "fastlog_read._speedups", NULL, 0, methods, slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&moduledef);
}
