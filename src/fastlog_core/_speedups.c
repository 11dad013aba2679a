/* fastlog_core._speedups: the few places where Python's own cost is most of fastlog's cost.
 *
 * - Appender: the callers' hot path, shared by every adapter: encode a record dict (orjson) and
 *   append the line to the block being filled, in one call (Python twin: _pipeline/appender.py).
 * - Block: the buffer's block, allocated once, so appending never reallocates it (twin: a
 *   bytearray, _pipeline/buffer.py).
 * - record_fields: a LogRecord's extra= fields are the entries of its __dict__ after the ~20
 *   standard ones; in Python, reaching them costs a third of the stdlib adapter's time. Here it
 *   is a walk over the dict's entries (twin: _fields.record_fields_py).
 * - utc_naive: loguru's aware record time as the schema's naive UTC datetime (twin:
 *   _fields.utc_naive_py).
 * - utc_stamp: a POSIX time as the schema's timestamp text (twin: _fields.utc_stamp_py).
 * - unsafe_value: finds a datetime orjson would crash on, before it is handed to orjson
 *   (twin: _encoders/json.unsafe_value_py); Appender.emit runs it on every record.
 *
 * Each Python twin defines the behaviour; tests drive both the same way (tests/core/
 * test_appender.py, test_block.py, test_fields.py). Built by hatch_build.py when a C compiler
 * is available (MSVC on Windows); fastlog works the same without it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <structmember.h>
#include <math.h>
#include <time.h>

static PyObject *k_timestamp, *k_level, *k_logger, *k_message, *k_utcoffset;
static PyObject *k_dataclass_fields, *k_value, *enum_type;
static long opt_non_str_keys; /* orjson.OPT_NON_STR_KEYS */
static PyTypeObject *zoneinfo_type; /* zoneinfo.ZoneInfo, once one was seen */

/* record_fields(attrs, n_standard, reserved, ts, level, name, message, ctx) -> dict | None
 *
 * {"timestamp": ts, "level": level, "logger": name, "message": message, **ctx, **tail} where
 * tail is attrs after its first n_standard entries; None when a tail key is in reserved or
 * when any key collides with another (the caller then takes its general path).
 */
static PyObject *
record_fields(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError, "record_fields() takes exactly 8 arguments");
        return NULL;
    }
    PyObject *attrs = args[0], *reserved = args[2], *ctx = args[7];
    if (!PyDict_Check(attrs) || !PyAnySet_Check(reserved) || !PyDict_Check(ctx)) {
        PyErr_SetString(PyExc_TypeError, "record_fields(): attrs and ctx must be dicts, "
                                         "reserved a set");
        return NULL;
    }
    Py_ssize_t n_standard = PyLong_AsSsize_t(args[1]);
    if (n_standard == -1 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *fields = PyDict_New();
    if (fields == NULL) {
        return NULL;
    }
    if (PyDict_SetItem(fields, k_timestamp, args[3]) < 0 ||
        PyDict_SetItem(fields, k_level, args[4]) < 0 ||
        PyDict_SetItem(fields, k_logger, args[5]) < 0 ||
        PyDict_SetItem(fields, k_message, args[6]) < 0) {
        goto error;
    }
    Py_ssize_t expected = 4 + PyDict_GET_SIZE(ctx);
    if (PyDict_GET_SIZE(ctx) && PyDict_Update(fields, ctx) < 0) {
        goto error;
    }
    /* PyDict_Next's position is the entry's index (holes left by deletions included), so
     * the walk starts at the first entry after the standard ones without visiting them. A
     * standard attribute deleted and set again, or set before them by a record factory, then
     * shows up in the tail, where the reserved check hands the record to the general path. */
    Py_ssize_t pos = n_standard < 0 ? 0 : n_standard;
    PyObject *key, *value;
    while (PyDict_Next(attrs, &pos, &key, &value)) {
        int found = PySet_Contains(reserved, key);
        if (found < 0) {
            goto error;
        }
        if (found) {
            goto fallback;
        }
        /* PyDict_Next lends the references; SetItem takes its own. */
        if (PyDict_SetItem(fields, key, value) < 0) {
            goto error;
        }
        expected++;
    }
    if (PyDict_GET_SIZE(fields) != expected) {
        goto fallback;
    }
    return fields;

fallback:
    Py_DECREF(fields);
    Py_RETURN_NONE;
error:
    Py_DECREF(fields);
    return NULL;
}

/* utc_naive(moment) -> datetime | None
 *
 * An aware datetime (any subclass, e.g. loguru's) whose tzinfo is a datetime.timezone, as the
 * naive UTC datetime the schema writes; None when the caller must take its general path: not a
 * datetime, another tzinfo (its utcoffset may be Python code), or a whole second (orjson then
 * drops the fraction, the schema keeps it). What the loguru sink did in Python took ~220 ns.
 */
static PyObject *
utc_naive(PyObject *Py_UNUSED(module), PyObject *moment)
{
    if (!PyDateTime_Check(moment) || !PyDateTime_DATE_GET_MICROSECOND(moment)) {
        Py_RETURN_NONE;
    }
    PyObject *tz = PyDateTime_DATE_GET_TZINFO(moment);
    if (!Py_IS_TYPE(tz, Py_TYPE(PyDateTimeAPI->TimeZone_UTC))) {
        Py_RETURN_NONE;
    }
    PyObject *naive = PyDateTimeAPI->DateTime_FromDateAndTime(
        PyDateTime_GET_YEAR(moment), PyDateTime_GET_MONTH(moment), PyDateTime_GET_DAY(moment),
        PyDateTime_DATE_GET_HOUR(moment), PyDateTime_DATE_GET_MINUTE(moment),
        PyDateTime_DATE_GET_SECOND(moment), PyDateTime_DATE_GET_MICROSECOND(moment), Py_None,
        PyDateTimeAPI->DateTimeType);
    if (naive == NULL || tz == PyDateTimeAPI->TimeZone_UTC) {
        return naive;
    }
    PyObject *offset = PyObject_CallMethodOneArg(tz, k_utcoffset, Py_None);
    if (offset == NULL) {
        Py_DECREF(naive);
        return NULL;
    }
    if (PyDelta_Check(offset) && !PyDateTime_DELTA_GET_DAYS(offset) &&
        !PyDateTime_DELTA_GET_SECONDS(offset) && !PyDateTime_DELTA_GET_MICROSECONDS(offset)) {
        Py_DECREF(offset);
        return naive;
    }
    PyObject *utc = PyNumber_Subtract(naive, offset);
    Py_DECREF(naive);
    Py_DECREF(offset);
    if (utc != NULL && PyDateTime_Check(utc) && !PyDateTime_DATE_GET_MICROSECOND(utc)) {
        /* An offset with microseconds made a whole second: the general path's job. */
        Py_DECREF(utc);
        Py_RETURN_NONE;
    }
    return utc;
}

/* unsafe_value(obj[, keys]) -> exception | None
 *
 * orjson (3.13) calls the utcoffset() of an aware datetime's tzinfo and crashes the process
 * (SIGSEGV) when it raises. This walks what orjson would serialize natively (dicts, with
 * *keys* their keys too, lists, tuples, dataclasses, enums) and returns a TypeError, caused
 * by what utcoffset() raised, for the first datetime whose tzinfo is neither a
 * datetime.timezone nor a ZoneInfo and whose utcoffset() raises; None when orjson may be
 * given *obj*. Plain values cost a type
 * comparison each, PyDict_Next most of it: ~40 ns for a 7-entry record, +6% on the native
 * API's call (0.80 -> 0.85 us, benchmarks/bench_core.py's record, 2-CPU VM). Twin:
 * _encoders/json.unsafe_value_py. Nesting past orjson's own limit (255) is not walked: orjson
 * refuses it before getting there. Past SCAN_BUDGET values the walk stops and says so (a
 * record that large is repaired rather than guessed about).
 */
#define SCAN_DEPTH 255
#define SCAN_BUDGET (1 << 20)

static PyObject *raised_exception(void);

static PyObject *
unsafe_error(const char *text, PyObject *cause)
{
    PyObject *exc = PyObject_CallFunction(PyExc_TypeError, "s", text);
    if (exc == NULL) {
        Py_XDECREF(cause);
        return NULL;
    }
    if (cause != NULL) {
        PyException_SetCause(exc, cause); /* steals cause */
    }
    return exc;
}

static int
safe_tzinfo(PyObject *tz)
{
    PyTypeObject *type = Py_TYPE(tz);
    if (tz == Py_None || type == Py_TYPE(PyDateTimeAPI->TimeZone_UTC) || type == zoneinfo_type) {
        return 1;
    }
    if (zoneinfo_type == NULL && strcmp(type->tp_name, "zoneinfo.ZoneInfo") == 0) {
        zoneinfo_type = type; /* the C ZoneInfo (exact type only: a subclass may override) */
        Py_INCREF(type);
        return 1;
    }
    return 0;
}

/* The values of a usual record: nothing to look into, no Python code to run. */
static inline int
plain(PyObject *obj)
{
    PyTypeObject *type = Py_TYPE(obj);
    return type == &PyUnicode_Type || type == &PyLong_Type || type == &PyFloat_Type ||
           obj == Py_None || type == &PyBool_Type ||
           (type == PyDateTimeAPI->DateTimeType && !_PyDateTime_HAS_TZINFO(obj));
}

/* 0: nothing unsafe; 1: *found set (a new reference); -1: an exception to propagate.
 * Dict keys are walked only with *keys*: orjson formats a key that is not a str only under
 * OPT_NON_STR_KEYS; without it, it refuses the key before looking at it. */
static int
scan(PyObject *obj, int depth, Py_ssize_t *budget, PyObject **found, int keys)
{
    if (plain(obj)) {
        return 0;
    }
    PyTypeObject *type = Py_TYPE(obj);
    if (--*budget < 0) {
        *found = unsafe_error("a value too large to check for datetimes orjson cannot write",
                              NULL);
        return *found == NULL ? -1 : 1;
    }
    if (type == PyDateTimeAPI->DateTimeType) {
        if (safe_tzinfo(PyDateTime_DATE_GET_TZINFO(obj))) {
            return 0;
        }
        PyObject *offset = PyObject_CallMethodNoArgs(obj, k_utcoffset);
        if (offset != NULL) {
            Py_DECREF(offset);
            return 0;
        }
        if (!PyErr_ExceptionMatches(PyExc_Exception)) {
            return -1; /* KeyboardInterrupt, SystemExit: the caller's */
        }
        *found = unsafe_error("a datetime whose tzinfo.utcoffset() raises", raised_exception());
        return *found == NULL ? -1 : 1;
    }
    if (depth >= SCAN_DEPTH) {
        return 0;
    }
    int done = 0;
    if (PyDict_Check(obj)) {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (!done && PyDict_Next(obj, &pos, &key, &value)) {
            if (plain(value) && (!keys || PyUnicode_CheckExact(key))) {
                continue; /* the usual entry: one type comparison each */
            }
            Py_INCREF(key); /* utcoffset() is Python code: hold what it could remove */
            Py_INCREF(value);
            if (keys && !PyUnicode_CheckExact(key)) {
                done = scan(key, depth + 1, budget, found, keys);
            }
            if (!done) {
                done = scan(value, depth + 1, budget, found, keys);
            }
            Py_DECREF(key);
            Py_DECREF(value);
        }
        return done;
    }
    if (PyList_Check(obj) || PyTuple_Check(obj)) {
        for (Py_ssize_t i = 0; !done && i < PySequence_Fast_GET_SIZE(obj); i++) {
            if (plain(PySequence_Fast_GET_ITEM(obj, i))) {
                continue;
            }
            PyObject *item = Py_NewRef(PySequence_Fast_GET_ITEM(obj, i));
            done = scan(item, depth + 1, budget, found, keys);
            Py_DECREF(item);
        }
        return done;
    }
    PyObject *tp_dict = type->tp_dict;
    if (tp_dict != NULL && PyDict_Contains(tp_dict, k_dataclass_fields) == 1) {
        /* A dataclass (orjson's test: the class's own __dict__). */
        PyObject *fields = PyObject_GetAttr(obj, k_dataclass_fields);
        if (fields == NULL || !PyDict_Check(fields)) {
            Py_XDECREF(fields);
            PyErr_Clear(); /* orjson cannot write it either: the repair path decides */
            return 0;
        }
        Py_ssize_t pos = 0;
        PyObject *name, *field;
        while (!done && PyDict_Next(fields, &pos, &name, &field)) {
            PyObject *value = PyObject_GetAttr(obj, name);
            if (value == NULL) {
                PyErr_Clear();
                continue;
            }
            done = scan(value, depth + 1, budget, found, keys);
            Py_DECREF(value);
        }
        Py_DECREF(fields);
        return done;
    }
    if (enum_type != NULL && PyObject_TypeCheck(obj, (PyTypeObject *)enum_type)) {
        PyObject *value = PyObject_GetAttr(obj, k_value);
        if (value == NULL) {
            PyErr_Clear();
            return 0;
        }
        done = scan(value, depth + 1, budget, found, keys);
        Py_DECREF(value);
        return done;
    }
    return 0;
}

static PyObject *
unsafe_value(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "unsafe_value() takes 1 or 2 arguments (obj[, keys])");
        return NULL;
    }
    int keys = nargs > 1 ? PyObject_IsTrue(args[1]) : 0;
    if (keys < 0) {
        return NULL;
    }
    PyObject *found = NULL;
    Py_ssize_t budget = SCAN_BUDGET;
    int done = scan(args[0], 0, &budget, &found, keys);
    if (done < 0) {
        return NULL;
    }
    if (done == 0) {
        Py_RETURN_NONE;
    }
    return found;
}

/* Block: the pipeline's buffer block (fastlog_core._pipeline). A bytes buffer allocated once at
 * its full size, so that appending never reallocates it: a bytearray grows by realloc, which
 * at 256 KiB copies the block about eight times over as it fills (glibc, once its mmap
 * threshold has risen), ~400 instructions per record on the callers' path (callgrind). Only
 * what the pipeline uses: `block += line` (one C call under the GIL, like bytearray's), len,
 * the buffer protocol (read-only, for os.writev and bytes()), count/find of one byte, take()
 * (the content as bytes, emptied in the same call) and clear(). The pure-Python path uses a
 * bytearray; tests run the pipeline on both.
 */
typedef struct {
    PyObject_HEAD
    char *data;
    Py_ssize_t size;
    Py_ssize_t alloc;
    Py_ssize_t exports;
} Block;

static PyObject *
Block_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    Py_ssize_t alloc;
    if (kwds != NULL && PyDict_GET_SIZE(kwds)) {
        PyErr_SetString(PyExc_TypeError, "Block() takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "n:Block", &alloc)) {
        return NULL;
    }
    if (alloc < 1) {
        alloc = 1;
    }
    Block *self = (Block *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->data = PyMem_Malloc((size_t)alloc);
    if (self->data == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->alloc = alloc;
    return (PyObject *)self;
}

static void
Block_dealloc(Block *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyMem_Free(self->data);
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}

static Py_ssize_t
Block_length(Block *self)
{
    return self->size;
}

static int
Block_reserve(Block *self, Py_ssize_t extra)
{
    if (extra <= self->alloc - self->size) {
        return 0;
    }
    if (self->exports) {
        PyErr_SetString(PyExc_BufferError, "a Block cannot grow while its data is exported");
        return -1;
    }
    if (extra > PY_SSIZE_T_MAX - self->size) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t alloc = self->size + extra;
    if (alloc < PY_SSIZE_T_MAX / 2 && alloc < 2 * self->alloc) {
        alloc = 2 * self->alloc;
    }
    char *data = PyMem_Realloc(self->data, (size_t)alloc);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->data = data;
    self->alloc = alloc;
    return 0;
}

static PyObject *
Block_iadd(Block *self, PyObject *other)
{
    if (PyBytes_CheckExact(other)) { /* the hot path: a line from orjson.dumps */
        Py_ssize_t n = PyBytes_GET_SIZE(other);
        if (Block_reserve(self, n) < 0) {
            return NULL;
        }
        memcpy(self->data + self->size, PyBytes_AS_STRING(other), (size_t)n);
        self->size += n;
        return Py_NewRef(self);
    }
    Py_buffer view;
    if (PyObject_GetBuffer(other, &view, PyBUF_SIMPLE) < 0) {
        PyErr_Format(PyExc_TypeError, "can't concat %.100s to Block", Py_TYPE(other)->tp_name);
        return NULL;
    }
    if (Block_reserve(self, view.len) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    memcpy(self->data + self->size, view.buf, (size_t)view.len);
    self->size += view.len;
    PyBuffer_Release(&view);
    return Py_NewRef(self);
}

static int
Block_getbuffer(Block *self, Py_buffer *view, int flags)
{
    if (PyBuffer_FillInfo(view, (PyObject *)self, self->data, self->size, 1, flags) < 0) {
        return -1;
    }
    self->exports++;
    return 0;
}

static void
Block_releasebuffer(Block *self, Py_buffer *Py_UNUSED(view))
{
    self->exports--;
}

/* The one byte *sub* must be; -1 with an exception set otherwise. */
static int
one_byte(PyObject *sub)
{
    if (!PyBytes_Check(sub) || PyBytes_GET_SIZE(sub) != 1) {
        PyErr_SetString(PyExc_ValueError, "Block.count/find take a single byte");
        return -1;
    }
    return (unsigned char)PyBytes_AS_STRING(sub)[0];
}

static int
bounds(Block *self, PyObject *const *args, Py_ssize_t nargs, const char *name, int *byte,
       Py_ssize_t *start, Py_ssize_t *end)
{
    if (nargs < 1 || nargs > 3) {
        PyErr_Format(PyExc_TypeError, "Block.%s() takes 1 to 3 arguments", name);
        return -1;
    }
    *byte = one_byte(args[0]);
    if (*byte < 0) {
        return -1;
    }
    *start = 0;
    *end = self->size;
    if (nargs > 1 && (*start = PyLong_AsSsize_t(args[1])) == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (nargs > 2 && (*end = PyLong_AsSsize_t(args[2])) == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (*start < 0) { /* as bytes.count/find: negative positions count from the end */
        *start = *start + self->size < 0 ? 0 : *start + self->size;
    }
    if (*end < 0) {
        *end = *end + self->size < 0 ? 0 : *end + self->size;
    }
    if (*end > self->size) {
        *end = self->size;
    }
    return 0;
}

static PyObject *
Block_count(Block *self, PyObject *const *args, Py_ssize_t nargs)
{
    int byte;
    Py_ssize_t start, end, count = 0;
    if (bounds(self, args, nargs, "count", &byte, &start, &end) < 0) {
        return NULL;
    }
    const char *p = self->data + start, *stop = self->data + end;
    while (p < stop && (p = memchr(p, byte, (size_t)(stop - p))) != NULL) {
        count++;
        p++;
    }
    return PyLong_FromSsize_t(count);
}

static PyObject *
Block_find(Block *self, PyObject *const *args, Py_ssize_t nargs)
{
    int byte;
    Py_ssize_t start, end;
    if (bounds(self, args, nargs, "find", &byte, &start, &end) < 0) {
        return NULL;
    }
    if (start >= end) {
        return PyLong_FromLong(-1);
    }
    const char *p = memchr(self->data + start, byte, (size_t)(end - start));
    return PyLong_FromSsize_t(p == NULL ? -1 : p - self->data);
}

static PyObject *
Block_take(Block *self, PyObject *Py_UNUSED(ignored))
{
    if (self->exports) {
        PyErr_SetString(PyExc_BufferError, "a Block cannot be emptied while exported");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(self->data, self->size);
    if (out != NULL) {
        self->size = 0;
    }
    return out;
}

static PyObject *
Block_clear(Block *self, PyObject *Py_UNUSED(ignored))
{
    if (self->exports) {
        PyErr_SetString(PyExc_BufferError, "a Block cannot be emptied while exported");
        return NULL;
    }
    self->size = 0;
    Py_RETURN_NONE;
}

static PyObject *
Block_repr(Block *self)
{
    return PyUnicode_FromFormat("<Block %zd of %zd bytes>", self->size, self->alloc);
}

static PyMethodDef Block_methods[] = {
    {"count", (PyCFunction)(void (*)(void))Block_count, METH_FASTCALL,
     "count(byte[, start[, end]]): occurrences of one byte, as bytes.count."},
    {"find", (PyCFunction)(void (*)(void))Block_find, METH_FASTCALL,
     "find(byte[, start[, end]]): the first index of one byte, or -1, as bytes.find."},
    {"take", (PyCFunction)Block_take, METH_NOARGS,
     "The content as bytes; the block is empty after (one call: no append in between)."},
    {"clear", (PyCFunction)Block_clear, METH_NOARGS, "Empty the block, keeping its memory."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot Block_slots[] = {
    {Py_tp_new, Block_new},
    {Py_tp_dealloc, Block_dealloc},
    {Py_tp_repr, Block_repr},
    {Py_tp_methods, Block_methods},
    {Py_sq_length, Block_length},
    {Py_sq_inplace_concat, Block_iadd},
    {Py_bf_getbuffer, Block_getbuffer},
    {Py_bf_releasebuffer, Block_releasebuffer},
    {Py_tp_doc, "Block(size): an append-only bytes buffer of *size* bytes (grows if it must)."},
    {0, NULL},
};

static PyType_Spec Block_spec = {
    "fastlog_core._speedups.Block",
    sizeof(Block),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    Block_slots,
};


/* Appender: the one append path, shared by every adapter and the native logger.
 *
 * emit(record, levelno[, default[, option]]) serializes the record dict with orjson (the core's options,
 * or the host's value policy as `default` and `option`), then appends the line; append(line, levelno) appends a
 * line already encoded. The common case is one C call: a length check against `limit` (which
 * the pipeline keeps at the room left in the block being filled), the copy, a counter. Anything
 * else (the block is full, a record too large, a level that must be fsynced, no room) goes to
 * `slow(line, levelno)`, the pipeline's slow path, in Python.
 *
 * Because the check and the copy run under the GIL without calling back into Python, an append
 * can never land in a block the writer has already swapped out: unlike the Python twin
 * (_pipeline/appender.py), a C append holds no reference to the block after it returns, so the
 * writer's reference-count wait (buffer.take) only ever sees the Python paths. The twin defines
 * the behaviour; tests run the pipeline on both (tests/core/test_appender.py).
 */
typedef struct {
    PyObject_HEAD
    PyObject *buf;     /* the block being filled: a Block or a bytearray */
    PyObject *slow;    /* slow(line, levelno) -> None */
    PyObject *dumps;   /* orjson.dumps */
    PyObject *default_; /* the value policy: orjson's default= */
    PyObject *option;  /* orjson's option= */
    PyObject *repair;  /* repair(record, exc, default, option) -> bytes: the line for a record
                          orjson rejected, with the value policy it was encoded with */
    PyObject *suffix;  /* bytes spliced before the closing brace of each JSON line (the
                          static fields: b',"k":"v"'), or b"" */
    Py_ssize_t limit;
    Py_ssize_t max_record;
    Py_ssize_t slow_level;
    Py_ssize_t appended;
    char special;
} Appender;

static PyTypeObject *BlockType;

static PyObject *
Appender_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *slow, *dumps, *default_, *option, *repair;
    if (kwds != NULL && PyDict_GET_SIZE(kwds)) {
        PyErr_SetString(PyExc_TypeError, "Appender() takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "OOOOO:Appender", &slow, &dumps, &default_, &option, &repair)) {
        return NULL;
    }
    Appender *self = (Appender *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->buf = PyByteArray_FromStringAndSize(NULL, 0);
    if (self->buf == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    self->slow = Py_NewRef(slow);
    self->dumps = Py_NewRef(dumps);
    self->default_ = Py_NewRef(default_);
    self->option = Py_NewRef(option);
    self->repair = Py_NewRef(repair);
    self->suffix = PyBytes_FromStringAndSize(NULL, 0);
    if (self->suffix == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    self->limit = -1;
    self->max_record = 0;
    self->slow_level = 0;
    return (PyObject *)self;
}

static int
Appender_traverse(Appender *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->buf);
    Py_VISIT(self->slow);
    Py_VISIT(self->dumps);
    Py_VISIT(self->default_);
    Py_VISIT(self->option);
    Py_VISIT(self->repair);
    Py_VISIT(self->suffix);
    return 0;
}

static int
Appender_clear(Appender *self)
{
    Py_CLEAR(self->buf);
    Py_CLEAR(self->slow);
    Py_CLEAR(self->dumps);
    Py_CLEAR(self->default_);
    Py_CLEAR(self->option);
    Py_CLEAR(self->repair);
    Py_CLEAR(self->suffix);
    return 0;
}

static void
Appender_dealloc(Appender *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Appender_clear(self);
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}

/* The bytes of *line* with *tail_len* bytes of *tail* before its final "}\n" (a new reference). */
static PyObject *
spliced(PyObject *line, const char *tail, Py_ssize_t tail_len)
{
    Py_ssize_t size = PyBytes_GET_SIZE(line);
    PyObject *out = PyBytes_FromStringAndSize(NULL, size + tail_len);
    if (out != NULL) {
        char *dst = PyBytes_AS_STRING(out);
        memcpy(dst, PyBytes_AS_STRING(line), (size_t)(size - 2));
        memcpy(dst + size - 2, tail, (size_t)tail_len);
        memcpy(dst + size - 2 + tail_len, "}\n", 2);
    }
    return out;
}

/* Append *line* (a bytes object) at *levelno*; the slow path when the hot one does not apply.
 *
 * With static fields (a non-empty suffix), a line that is a JSON object ("{...}\n") gets them
 * before its closing brace: the copy into the block does it, so the common case costs three
 * memcpy and no object; the other paths get the spliced line as a new bytes object. The size
 * checks (limit, max_record) are on the final line. Twin: Appender.append. */
static PyObject *
append_line(Appender *self, PyObject *line, PyObject *levelno)
{
    const char *tail = NULL; /* the suffix to splice into this line, if any */
    Py_ssize_t tail_len = 0;
    if (PyBytes_CheckExact(line) && self->suffix != NULL && PyBytes_CheckExact(self->suffix)
        && PyBytes_GET_SIZE(self->suffix) > 0) {
        Py_ssize_t size = PyBytes_GET_SIZE(line);
        const char *data = PyBytes_AS_STRING(line);
        if (size >= 3 && data[0] == '{' && data[size - 2] == '}' && data[size - 1] == '\n') {
            tail = PyBytes_AS_STRING(self->suffix);
            tail_len = PyBytes_GET_SIZE(self->suffix);
            if (data[size - 3] == '{') { /* "{}\n": no comma before the first field */
                tail++;
                tail_len--;
            }
        }
    }
    Py_ssize_t level = PyLong_AsSsize_t(levelno);
    if (level == -1 && PyErr_Occurred()) {
        PyErr_Clear(); /* not an int: the slow path decides (and reports) */
    }
    else if (PyBytes_CheckExact(line)) {
        Py_ssize_t size = PyBytes_GET_SIZE(line);
        Py_ssize_t final = size + tail_len;
        PyObject *buf = self->buf;
        if (final <= self->max_record && level < self->slow_level) {
            if (Py_IS_TYPE(buf, BlockType)) {
                Block *block = (Block *)buf;
                if (block->size + final <= self->limit && Block_reserve(block, final) == 0) {
                    char *dst = block->data + block->size;
                    if (tail == NULL) {
                        memcpy(dst, PyBytes_AS_STRING(line), (size_t)size);
                    }
                    else {
                        memcpy(dst, PyBytes_AS_STRING(line), (size_t)(size - 2));
                        memcpy(dst + size - 2, tail, (size_t)tail_len);
                        memcpy(dst + size - 2 + tail_len, "}\n", 2);
                    }
                    block->size += final;
                    self->appended++;
                    Py_RETURN_NONE;
                }
                PyErr_Clear(); /* a Block that cannot grow: the slow path copes */
            }
            else if (PyByteArray_CheckExact(buf) && PyByteArray_GET_SIZE(buf) + final <= self->limit) {
                PyObject *whole = tail == NULL ? Py_NewRef(line) : spliced(line, tail, tail_len);
                if (whole == NULL) {
                    return NULL;
                }
                PyObject *out = PySequence_InPlaceConcat(buf, whole);
                Py_DECREF(whole);
                if (out != NULL) {
                    Py_DECREF(out);
                    self->appended++;
                    Py_RETURN_NONE;
                }
                PyErr_Clear();
            }
        }
    }
    PyObject *whole = tail == NULL ? Py_NewRef(line) : spliced(line, tail, tail_len);
    if (whole == NULL) {
        return NULL;
    }
    PyObject *call[2] = {whole, levelno};
    PyObject *done = PyObject_Vectorcall(self->slow, call, 2, NULL);
    Py_DECREF(whole);
    return done;
}

static PyObject *
Appender_append(Appender *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "append() takes exactly 2 arguments (line, levelno)");
        return NULL;
    }
    return append_line(self, args[0], args[1]);
}

/* The exception being raised, taken out of the error indicator (a new reference). */
static PyObject *
raised_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value != NULL && tb != NULL) {
        PyException_SetTraceback(value, tb);
    }
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
#endif
}

static PyObject *
Appender_emit(Appender *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 2 || nargs > 4) {
        PyErr_SetString(PyExc_TypeError,
                        "emit() takes 2 to 4 arguments (record, levelno[, default[, option]])");
        return NULL;
    }
    PyObject *call[3] = {args[0], nargs > 2 ? args[2] : self->default_,
                         nargs > 3 ? args[3] : self->option};
    long option = PyLong_AsLong(call[2]);
    if (option == -1 && PyErr_Occurred()) {
        PyErr_Clear(); /* not an int: orjson.dumps says so below */
        option = 0;
    }
    PyObject *found = NULL;
    Py_ssize_t budget = SCAN_BUDGET;
    /* orjson would crash on it: repair instead (~40 ns a usual record, see scan). */
    int unsafe = scan(args[0], 0, &budget, &found, (option & opt_non_str_keys) != 0);
    if (unsafe < 0) {
        return NULL;
    }
    PyObject *line;
    if (unsafe) {
        PyObject *again[4] = {args[0], found, call[1], call[2]};
        line = PyObject_Vectorcall(self->repair, again, 4, NULL);
        Py_DECREF(found);
        if (line == NULL) {
            return NULL;
        }
    }
    else {
        line = PyObject_Vectorcall(self->dumps, call, 3, NULL);
    }
    if (line == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_Exception)) {
            return NULL; /* KeyboardInterrupt, SystemExit: the caller's, as in the twin */
        }
        PyObject *exc = raised_exception();
        if (exc == NULL) {
            return NULL;
        }
        PyObject *again[4] = {args[0], exc, call[1], call[2]}; /* the same value policy */
        line = PyObject_Vectorcall(self->repair, again, 4, NULL);
        Py_DECREF(exc);
        if (line == NULL) {
            return NULL; /* repair() never raises; if it did, the caller's guard reports it */
        }
    }
    PyObject *done = append_line(self, line, args[1]);
    Py_DECREF(line);
    return done;
}

static PyObject *
Appender_count(Appender *self, PyObject *Py_UNUSED(ignored))
{
    self->appended++;
    Py_RETURN_NONE;
}

static PyMethodDef Appender_methods[] = {
    {"append", (PyCFunction)(void (*)(void))Appender_append, METH_FASTCALL,
     "append(line, levelno): queue one encoded line (with its newline). Never blocks beyond "
     "the pipeline's policy."},
    {"emit", (PyCFunction)(void (*)(void))Appender_emit, METH_FASTCALL,
     "emit(record, levelno[, default[, option]]): encode the record dict (orjson, the core's "
     "options and value policy unless given) and queue it."},
    {"count", (PyCFunction)Appender_count, METH_NOARGS,
     "Count one record that a slow path appended itself."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Appender_members[] = {
    {"buf", T_OBJECT_EX, offsetof(Appender, buf), 0, "The block being filled."},
    {"limit", T_PYSSIZET, offsetof(Appender, limit), 0,
     "Appends keep the block at or below this size; -1 sends every append to the slow path."},
    {"max_record", T_PYSSIZET, offsetof(Appender, max_record), 0,
     "Longer lines take the slow path (truncation)."},
    {"slow_level", T_PYSSIZET, offsetof(Appender, slow_level), 0,
     "Records at or above this level take the slow path (fsync_level)."},
    {"suffix", T_OBJECT_EX, offsetof(Appender, suffix), 0,
     "Bytes spliced before the closing brace of each JSON object line (static fields)."},
    {"special", T_BOOL, offsetof(Appender, special), 0,
     "The pipeline samples or applies a schema: adapters take their general path."},
    {"appended", T_PYSSIZET, offsetof(Appender, appended), 0,
     "Records appended so far."},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Appender_slots[] = {
    {Py_tp_new, Appender_new},
    {Py_tp_dealloc, Appender_dealloc},
    {Py_tp_traverse, Appender_traverse},
    {Py_tp_clear, Appender_clear},
    {Py_tp_methods, Appender_methods},
    {Py_tp_members, Appender_members},
    {Py_tp_doc, "Appender(slow, dumps, default, option, repair): the callers' side of a "
                "pipeline's buffer."},
    {0, NULL},
};

static PyType_Spec Appender_spec = {
    "fastlog_core._speedups.Appender",
    sizeof(Appender),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_HAVE_GC,
    Appender_slots,
};

/* utc_stamp(seconds) -> str | None
 * "YYYY-MM-DDTHH:MM:SS.ffffffZ" for a POSIX time, rounded to the microsecond half-even as
 * datetime.fromtimestamp rounds; None outside years 1..9999 or for a non-finite time. */
static PyObject *
utc_stamp(PyObject *Py_UNUSED(module), PyObject *arg)
{
    double seconds = PyFloat_AsDouble(arg);
    if (seconds == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    if (!isfinite(seconds) || seconds < -62135596800.0 || seconds >= 253402300800.0) {
        Py_RETURN_NONE;
    }
    double whole;
    double frac = modf(seconds, &whole);
    double micros = nearbyint(frac * 1e6); /* the default rounding mode: half to even */
    if (micros >= 1e6) {
        micros -= 1e6;
        whole += 1.0;
    }
    else if (micros < 0) {
        micros += 1e6;
        whole -= 1.0;
    }
    time_t t = (time_t)whole;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999) {
        Py_RETURN_NONE;
    }
    PyObject *out = PyUnicode_New(27, 127);
    if (out == NULL) {
        return NULL;
    }
    Py_UCS1 *c = PyUnicode_1BYTE_DATA(out);
    int year = tm.tm_year + 1900, us = (int)micros;
    int parts[6] = {tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, 0};
    c[0] = '0' + year / 1000; c[1] = '0' + year / 100 % 10;
    c[2] = '0' + year / 10 % 10; c[3] = '0' + year % 10;
    const char seps[5] = {'-', 'T', ':', ':', '.'};
    c[4] = '-';
    for (int i = 0; i < 5; i++) {
        c[5 + 3 * i] = '0' + parts[i] / 10;
        c[6 + 3 * i] = '0' + parts[i] % 10;
        c[7 + 3 * i] = seps[i];
    }
    for (int i = 25; i >= 20; i--) {
        c[i] = '0' + us % 10;
        us /= 10;
    }
    c[26] = 'Z';
    return out;
}

static PyMethodDef methods[] = {
    {"record_fields", (PyCFunction)(void (*)(void))record_fields, METH_FASTCALL,
     "The record dict for a LogRecord's __dict__, or None when the general path is needed."},
    {"utc_naive", utc_naive, METH_O,
     "The naive UTC datetime for an aware one with a datetime.timezone, or None."},
    {"utc_stamp", utc_stamp, METH_O,
     "The schema's timestamp text for a POSIX time, or None outside years 1..9999."},
    {"unsafe_value", (PyCFunction)(void (*)(void))unsafe_value, METH_FASTCALL,
     "unsafe_value(obj[, keys]): a TypeError for a datetime in obj whose tzinfo.utcoffset() "
     "raises (orjson would crash on it), else None; dict keys too with keys."},
    {NULL, NULL, 0, NULL},
};

static int
exec_module(PyObject *module)
{
    k_timestamp = PyUnicode_InternFromString("timestamp");
    k_level = PyUnicode_InternFromString("level");
    k_logger = PyUnicode_InternFromString("logger");
    k_message = PyUnicode_InternFromString("message");
    k_utcoffset = PyUnicode_InternFromString("utcoffset");
    k_dataclass_fields = PyUnicode_InternFromString("__dataclass_fields__");
    k_value = PyUnicode_InternFromString("value");
    if (!k_timestamp || !k_level || !k_logger || !k_message || !k_utcoffset ||
        !k_dataclass_fields || !k_value) {
        return -1;
    }
    PyObject *enum_module = PyImport_ImportModule("enum");
    if (enum_module == NULL) {
        return -1;
    }
    enum_type = PyObject_GetAttrString(enum_module, "Enum");
    Py_DECREF(enum_module);
    if (enum_type == NULL) {
        return -1;
    }
    PyObject *orjson = PyImport_ImportModule("orjson");
    if (orjson == NULL) {
        return -1;
    }
    PyObject *flag = PyObject_GetAttrString(orjson, "OPT_NON_STR_KEYS");
    Py_DECREF(orjson);
    if (flag == NULL) {
        return -1;
    }
    opt_non_str_keys = PyLong_AsLong(flag);
    Py_DECREF(flag);
    if (opt_non_str_keys == -1 && PyErr_Occurred()) {
        return -1;
    }
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return -1;
    }
    PyObject *block = PyType_FromModuleAndSpec(module, &Block_spec, NULL);
    if (block == NULL) {
        return -1;
    }
    BlockType = (PyTypeObject *)block; /* the module keeps it alive */
    int added = PyModule_AddObjectRef(module, "Block", block);
    Py_DECREF(block);
    if (added < 0) {
        return -1;
    }
    PyObject *appender = PyType_FromModuleAndSpec(module, &Appender_spec, NULL);
    if (appender == NULL) {
        return -1;
    }
    added = PyModule_AddObjectRef(module, "Appender", appender);
    Py_DECREF(appender);
    return added;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
    {0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "fastlog_core._speedups", NULL, 0, methods, slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&moduledef);
}
