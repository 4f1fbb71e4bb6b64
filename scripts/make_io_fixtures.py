#!/usr/bin/python3
"""Write the small .npy/.npz fixtures of tests/test_npy.c and tests/test_npz.c with real numpy.

Run from anywhere:  /usr/bin/python3 scripts/make_io_fixtures.py
Every array is np.arange-based so the C tests can compute the expected values:
element i (C order) of an array of shape s is  i  (floats: i + 0.5, bools: i % 3 == 0),
cast to the dtype. The files are committed; rerun only to change them.
"""
import io
import os
import zipfile

import numpy as np
from numpy.lib import format as npformat

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "io")


def arange(shape, dtype):
    n = int(np.prod(shape)) if len(shape) else 1
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        base = np.arange(n, dtype=np.float64) + 0.5
    elif dtype.kind == "b":
        base = np.arange(n) % 3 == 0
    else:
        base = np.arange(n) - (n // 2 if dtype.kind == "i" else 0)
    return base.astype(dtype).reshape(shape)


def save(name, arr, version=None):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        npformat.write_array(f, arr, version=version, allow_pickle=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    # Row-major vs column-major copies of the same logical array: both must read alike.
    a = arange((2, 3, 4), "<f8")
    save("c_f8_234.npy", np.ascontiguousarray(a))
    save("fortran_f8_234.npy", np.asfortranarray(a))
    save("fortran_i2_2345.npy", np.asfortranarray(arange((2, 3, 4, 5), "<i2")))
    # Big-endian files need byte swapping on load.
    save("be_f4_23.npy", arange((2, 3), ">f4"))
    save("be_i4_5.npy", arange((5,), ">i4"))
    save("be_f8_fortran_32.npy", np.asfortranarray(arange((3, 2), ">f8")))
    # Newer format versions (uint32 header length; 3.0 allows utf-8 in the header).
    save("v2_f8_34.npy", arange((3, 4), "<f8"), version=(2, 0))
    save("v3_i8_6.npy", arange((6,), "<i8"), version=(3, 0))
    save("scalar_f8.npy", np.array(42.5))
    save("bool_7.npy", arange((7,), "|b1"))
    save("i1_5.npy", arange((5,), "|i1"))
    save("i2_5.npy", arange((5,), "<i2"))
    save("i8_5.npy", arange((5,), "<i8"))
    save("u1_5.npy", arange((5,), "|u1"))
    save("f4_empty_03.npy", np.zeros((0, 3), dtype="<f4"))
    # Dtypes lrnn refuses, each must be named in the message.
    save("c16_2.npy", np.array([1 + 2j, 3 - 4j]))
    save("u5_2.npy", np.array(["ab", "cdefg"]))
    with open(os.path.join(OUT, "object_2.npy"), "wb") as f:
        npformat.write_array(f, np.array([1, "x"], dtype=object), allow_pickle=True)

    x = arange((3, 4), "<f8")
    y = arange((5,), "<i4")
    np.savez(os.path.join(OUT, "stored_xy.npz"), x=x, y=y)
    np.savez_compressed(os.path.join(OUT, "deflated_xy.npz"), x=x, y=y)
    np.savez_compressed(os.path.join(OUT, "single.npz"), arange((2, 2), "<f4"))
    np.savez(os.path.join(OUT, "fortran.npz"), f=np.asfortranarray(arange((2, 3, 4), ">f8")))
    # What Python writes for archives past 4 GiB: zip64 extra fields in the central directory
    # and a zip64 end record. Lowering zipfile's limits makes it do so for a tiny archive.
    limits = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 1, 1
    try:
        np.savez(os.path.join(OUT, "zip64_xy.npz"), x=x, y=y)
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = limits
    # An archive from another zip writer: bzip2 is a method lrnn refuses.
    buf = io.BytesIO()
    npformat.write_array(buf, x)
    with zipfile.ZipFile(os.path.join(OUT, "bzip2.npz"), "w", zipfile.ZIP_BZIP2) as z:
        # A fixed timestamp keeps the file identical when the script is rerun.
        info = zipfile.ZipInfo("x.npy", date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_BZIP2
        z.writestr(info, buf.getvalue())


if __name__ == "__main__":
    main()
