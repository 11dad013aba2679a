/* fastlog_core._speedups: the one loop of the stdlib adapter's hot path that Python makes slow.
 *
 * A LogRecord's extra= fields are the entries of its __dict__ after the ~20 standard ones.
 * In Python, reaching them means iterating (and building a tuple for) every standard entry,
 * then a set check against the reserved names: about 5,000 instructions per record, a third
 * of the adapter's cost (benchmarks/bench_stdlib.py, docs/performance). Here it is a walk
 * over the dict's entries. The pure-Python twin in _fields.py defines the semantics; the two
 * are tested against each other (tests/core/test_fields.py). Built by hatch_build.py when a C
 * compiler is available; fastlog works the same without it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>

static PyObject *k_timestamp, *k_level, *k_logger, *k_message, *k_utcoffset;

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

static PyMethodDef methods[] = {
    {"record_fields", (PyCFunction)(void (*)(void))record_fields, METH_FASTCALL,
     "The record dict for a LogRecord's __dict__, or None when the general path is needed."},
    {"utc_naive", utc_naive, METH_O,
     "The naive UTC datetime for an aware one with a datetime.timezone, or None."},
    {NULL, NULL, 0, NULL},
};

static int
exec_module(PyObject *Py_UNUSED(module))
{
    k_timestamp = PyUnicode_InternFromString("timestamp");
    k_level = PyUnicode_InternFromString("level");
    k_logger = PyUnicode_InternFromString("logger");
    k_message = PyUnicode_InternFromString("message");
    k_utcoffset = PyUnicode_InternFromString("utcoffset");
    if (!k_timestamp || !k_level || !k_logger || !k_message || !k_utcoffset) {
        return -1;
    }
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return -1;
    }
    return 0;
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
