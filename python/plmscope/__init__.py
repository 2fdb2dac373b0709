"""plmscope: read and write plmscope record streams with numpy, and run the tools from Python.

    import plmscope
    for rec in plmscope.read("contacts.tsr"):          # lazily, one record at a time
        print(rec.id, rec.seq, rec.meta, rec.tensors["contacts"].shape)

    recs = plmscope.run(["seqread", "prots.fasta"])
    recs = plmscope.run(["attn", "-m", "esm2_t6_8M_UR50D.pt", "--contacts"], recs)
    plmscope.contacts_table(recs)                       # pandas: id, i, j, score, sep, range
    plmscope.write("out.tsr", recs)                     # any tool reads it back

Reader errors raise StreamError naming the record, as the tools' own reader does.
"""
from .stream import (BF16, Reader, Record, StreamError, Writer, bf16_to_float32,  # noqa: F401
                     dtype_name)
from .tools import Page, ToolError, attnview, contact_range, contacts_table, run  # noqa: F401

try:
    from ._version import __version__  # noqa: F401
except ImportError:                    # not built: a source tree used in place
    __version__ = 'unknown'


def read(source):
    """A Reader over a stream: a path, '-' for standard input, or a binary file object.
    Iterate it for Records; it reads one frame at a time."""
    return Reader(source)


def write(dest, records, zlevel=0):
    """Write Records (an iterable, or one) as a stream to a path, '-' or a binary file object;
    returns how many were written."""
    if isinstance(records, Record):
        records = [records]
    with Writer(dest, zlevel=zlevel) as w:
        for rec in records:
            w.write(rec)
        return w.nwritten
