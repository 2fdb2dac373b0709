"""stream.py: the plmscope record stream (plmscope-stream(5)) in pure Python + numpy.

Contents: Record, StreamError, Reader (iterate records lazily from a path, a file object,
a pipe or sys.stdin.buffer), Writer, and the dtype table.

The reader refuses what libcore/base/stream.c refuses, with the same message shape,
"NAME: record N ("ID"): cause"; records before the damage have already been yielded.
Tensors of a frame are numpy views into that frame's payload (no copy); they are
read-only, like the bytes they view.
"""
import io
import struct
import sys
import zlib

import numpy as np

MAGIC = b'\x89PLMSTR\n'
VERSION = 1
MAX_FRAME = 64 << 30          # bytes in one frame: a sanity bound, as in the C reader
MAX_ID = 4096
MAX_NAME = 255
MAX_RANK = 4
MAX_ITEMS = 1 << 20           # metadata entries or tensors per record
MAX_DIM = 1 << 40
ZLIB_MAXRATIO = 1032          # deflate cannot expand more than this
READ_CHUNK = 16 << 20
TAG_REC = b'REC\x01'
TAG_END = b'END\x01'
FRAME_FIXED = struct.Struct('<4sB3sQQII')    # tag, codec, pad, stored_len, raw_len, payload_crc, id_len

# bf16 has no numpy type: its arrays are uint16 whose dtype carries this metadata
BF16 = np.dtype('<u2', metadata={'plmscope': 'bf16'})
DTYPES = [('f32', np.dtype('<f4')), ('f16', np.dtype('<f2')), ('bf16', BF16),
          ('i32', np.dtype('<i4')), ('u8', np.dtype('u1'))]


class StreamError(ValueError):
    """A stream that is truncated, corrupt or not a stream. `record` is the 1-based
    number of the record it broke in (None for the stream header), `id` its id if known."""

    def __init__(self, message, record=None, id=None):
        super().__init__(message)
        self.record, self.id = record, id


class Record:
    """One protein record: id, seq, aligned (or None), meta (dict of str), tensors
    (dict of name -> numpy array), in the order the stream holds them."""

    __slots__ = ('id', 'seq', 'aligned', 'meta', 'tensors')

    def __init__(self, id, seq, aligned=None, meta=None, tensors=None):
        self.id, self.seq, self.aligned = id, seq, aligned
        self.meta = dict(meta or {})
        self.tensors = dict(tensors or {})

    def __repr__(self):
        shapes = ', '.join('%s:%s%s' % (k, dtype_name(v.dtype), list(v.shape)) for k, v in self.tensors.items())
        return 'Record(%r, L=%d, meta=%d, tensors=[%s])' % (self.id, len(self.seq), len(self.meta), shapes)

    def __eq__(self, other):
        if not isinstance(other, Record):
            return NotImplemented
        if (self.id, self.seq, self.aligned, self.meta) != (other.id, other.seq, other.aligned, other.meta):
            return False
        if list(self.tensors) != list(other.tensors):
            return False
        return all(dtype_name(a.dtype) == dtype_name(b.dtype) and a.shape == b.shape and a.tobytes() == b.tobytes()
                   for a, b in zip(self.tensors.values(), other.tensors.values()))


def dtype_name(dt):
    """the stream's name of a numpy dtype (bf16 by its metadata), or None"""
    dt = np.dtype(dt)
    if dt.metadata and dt.metadata.get('plmscope') == 'bf16':
        return 'bf16'
    for name, d in DTYPES:
        if name != 'bf16' and dt == d:
            return name
    return None


def bf16_to_float32(a):
    """a bf16 tensor (uint16 with the bf16 tag) as float32 values"""
    return (np.asarray(a, dtype='<u2').astype('<u4') << 16).view('<f4')


def _describe_nonstream(name, b):
    if not b:
        return '%s: empty input, expected a plmscope stream' % name
    if b[:1] == b'>':
        return '%s: this is FASTA, not a plmscope stream (run it through seqread first)' % name
    if b[:2] == b'\x1f\x8b':
        return '%s: this is gzip data, not a plmscope stream' % name
    if b[:6] == b'\x93NUMPY':
        return '%s: this is a .npy file, not a plmscope stream' % name
    return '%s: not a plmscope stream (bad magic)' % name


class _Cursor:
    """bounds-checked reads over a decoded payload; any overrun raises _Corrupt"""

    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, n):
        if n > len(self.buf) - self.pos:
            raise _Corrupt(None)
        p = self.pos
        self.pos += n
        return p

    def u32(self):
        return struct.unpack_from('<I', self.buf, self.take(4))[0]

    def u64(self):
        return struct.unpack_from('<Q', self.buf, self.take(8))[0]

    def string(self, n, what):
        if n > len(self.buf) - self.pos:
            raise _Corrupt('corrupt %s' % what)
        b = bytes(self.buf[self.take(n):self.pos])
        if b'\x00' in b:
            raise _Corrupt('corrupt %s' % what)
        return b.decode('utf-8', 'surrogateescape')


class _Corrupt(Exception):
    pass


def _decode_payload(buf, rid):
    c = _Cursor(buf)
    try:
        flags = c.u32()
        seq = c.string(c.u64(), 'sequence')
        aligned = c.string(c.u64(), 'aligned row') if flags & 1 else None
        count = c.u32()
    except _Corrupt as e:
        raise _Corrupt(e.args[0] or 'corrupt sequence')
    if count > MAX_ITEMS:
        raise _Corrupt('corrupt metadata count')
    meta = {}
    for i in range(count):
        try:
            k = c.string(c.u32(), 'metadata entry')
            meta[k] = c.string(c.u64(), 'metadata entry')
        except _Corrupt:
            raise _Corrupt('corrupt metadata entry %d' % (i + 1))
    try:
        count = c.u32()
    except _Corrupt:
        raise _Corrupt('corrupt tensor count')
    if count > MAX_ITEMS:
        raise _Corrupt('corrupt tensor count')
    tensors = {}
    for _ in range(count):
        name, arr = _decode_tensor(c, buf)
        if name in tensors:
            raise _Corrupt('duplicate tensor %s' % name)
        tensors[name] = arr
    if c.pos != len(buf):
        raise _Corrupt('%d trailing bytes in frame' % (len(buf) - c.pos))
    return Record(rid, seq, aligned, meta, tensors)


def _decode_tensor(c, buf):
    try:
        n = c.u32()
        if n == 0 or n > MAX_NAME:
            raise _Corrupt(None)
        name = c.string(n, 'tensor name')
    except _Corrupt:
        raise _Corrupt('corrupt tensor name')
    try:
        code, rank, pad = struct.unpack_from('<BBH', buf, c.take(4))
    except _Corrupt:
        raise _Corrupt('tensor %s: truncated header' % name)
    if code >= len(DTYPES):
        raise _Corrupt('tensor %s: unknown dtype code %d' % (name, code))
    if rank > MAX_RANK:
        raise _Corrupt('tensor %s: rank %d exceeds %d' % (name, rank, MAX_RANK))
    if pad != 0:
        raise _Corrupt('tensor %s: non-zero padding' % name)
    shape = []
    for _ in range(rank):
        try:
            d = c.u64()
        except _Corrupt:
            raise _Corrupt('tensor %s: data shorter than its shape' % name)
        if d > MAX_DIM:
            raise _Corrupt('tensor %s: dimension too large' % name)
        shape.append(d)
    dt = DTYPES[code][1]
    numel = 1
    for d in shape:
        numel *= d
    nbytes = numel * dt.itemsize
    if nbytes > len(buf) - c.pos:
        raise _Corrupt('tensor %s: data shorter than its shape' % name)
    arr = np.frombuffer(buf, dtype=dt, count=numel, offset=c.take(nbytes)).reshape(shape)
    return name, arr


def _open(target, mode):
    """(file object, whether this opened it, its name in messages) for a path, '-' (standard
    input or output, as mode says) or a binary file object"""
    std, stdname = (sys.stdin, 'stdin') if 'r' in mode else (sys.stdout, 'stdout')
    if isinstance(target, (str, bytes)) or hasattr(target, '__fspath__'):
        if target in ('-', b'-'):
            return std.buffer, False, stdname
        return open(target, mode), True, str(target)
    name = stdname if target is getattr(std, 'buffer', None) else getattr(target, 'name', None)
    return target, False, name if isinstance(name, str) else 'stream'


class Reader:
    """Iterate the records of a stream, lazily, one frame in memory at a time.

    `source` is a path, '-' (standard input), or a binary file object (a pipe,
    sys.stdin.buffer, io.BytesIO). Streams concatenated by `cat` read as one.
    `name` is how errors name the input (default: the path, or 'stdin').
    """

    def __init__(self, source, name=None):
        self._fp, self._owns, self.name = _open(source, 'rb')
        if name is not None:
            self.name = name           # how errors name the input
        self.nread = 0
        self._member_start = 0
        self._last_id = None
        self._done = False
        try:
            self._open_member(first=True)
        except BaseException:
            self.close()
            raise

    def close(self):
        if self._owns and self._fp:
            self._fp.close()
        self._fp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        return self

    def __next__(self):
        rec = self.read()
        if rec is None:
            raise StopIteration
        return rec

    # ------------------------------------------------------------------ internals
    def _readn(self, n):
        parts, got = [], 0
        while got < n:
            b = self._fp.read(min(n - got, READ_CHUNK))
            if not b:
                break
            parts.append(b)
            got += len(b)
        return parts[0] if len(parts) == 1 else b''.join(parts)

    def _fail(self, cause, id=None):
        n = self.nread + 1
        if id is not None:
            return StreamError('%s: record %d ("%.120s"): %s' % (self.name, n, id, cause), n, id)
        return StreamError('%s: record %d: %s' % (self.name, n, cause), n)

    def _cut_between(self, cause):
        if self.nread == 0:
            return self._fail(cause)
        return self._fail('%s after record %d ("%.100s")' % (cause, self.nread, self._last_id))

    def _open_member(self, first):
        h = self._readn(16)
        if not first and not h:
            self._done = True
            return False
        bad_header = (len(h) < 16 or h[:8] != MAGIC or struct.unpack_from('<I', h, 8)[0] not in range(1, VERSION + 1)
                      or struct.unpack_from('<I', h, 12)[0] != 0)
        if not first and bad_header:
            raise StreamError('%s: unexpected bytes after the end frame (record %d, "%.100s", was the last)'
                              % (self.name, self.nread, self._last_id), self.nread, self._last_id)
        if len(h) < 8 or h[:8] != MAGIC:
            raise StreamError(_describe_nonstream(self.name, h))
        if len(h) < 16:
            raise StreamError('%s: truncated stream header' % self.name)
        version, flags = struct.unpack_from('<II', h, 8)
        if version > VERSION:
            raise StreamError('%s: stream version %d is newer than this plmscope reads (%d)' % (self.name, version, VERSION))
        if version == 0:
            raise StreamError('%s: invalid stream version 0' % self.name)
        if flags != 0:
            raise StreamError('%s: unknown stream flags 0x%x' % (self.name, flags))
        self._member_start = self.nread
        return True

    def read(self):
        """the next Record, or None at the end of the stream"""
        while True:
            if self._done:
                return None
            h = self._readn(FRAME_FIXED.size)
            if len(h) < FRAME_FIXED.size:
                raise self._cut_between('truncated frame header' if h else 'stream ends without its end frame')
            tag, codec, _pad, stored_len, raw_len, pcrc, id_len = FRAME_FIXED.unpack(h)
            if tag not in (TAG_REC, TAG_END):
                raise self._fail('corrupt frame header (bad tag)')
            if id_len > MAX_ID:
                raise self._fail('corrupt frame header (id too long)')
            rest = self._readn(id_len + 4)
            if len(rest) < id_len + 4:
                raise self._cut_between('truncated frame header')
            idb = rest[:id_len]
            if zlib.crc32(idb, zlib.crc32(h)) != struct.unpack_from('<I', rest, id_len)[0]:
                raise self._fail('corrupt frame header (checksum mismatch)')
            if b'\x00' in idb:
                raise self._fail('corrupt frame header (NUL in id)')
            rid = idb.decode('utf-8', 'surrogateescape')
            if tag == TAG_END:
                if stored_len != 0 or raw_len != self.nread - self._member_start:
                    raise StreamError('%s: end frame counts %d records but %d were read'
                                      % (self.name, raw_len, self.nread - self._member_start), self.nread + 1)
                self._open_member(first=False)
                continue
            return self._read_record(rid, codec, stored_len, raw_len, pcrc)

    def _read_record(self, rid, codec, stored_len, raw_len, pcrc):
        if codec > 1:
            raise self._fail('unknown compression codec', rid)
        if stored_len > MAX_FRAME or raw_len > MAX_FRAME:
            raise self._fail('frame larger than the 64 GiB limit', rid)
        if codec == 0 and stored_len != raw_len:
            raise self._fail('corrupt frame header (length mismatch)', rid)
        if codec == 1 and raw_len > stored_len * ZLIB_MAXRATIO + 1024:
            raise self._fail('corrupt frame header (impossible compression ratio)', rid)
        stored = self._readn(stored_len)
        if len(stored) < stored_len:
            raise self._fail('truncated frame', rid)
        payload = stored if codec == 0 else self._inflate(stored, raw_len, rid)
        if zlib.crc32(payload) != pcrc:
            raise self._fail('corrupt frame (payload checksum mismatch)', rid)
        try:
            rec = _decode_payload(payload, rid)
        except _Corrupt as e:
            raise self._fail(e.args[0], rid)
        self.nread += 1
        self._last_id = rid
        return rec

    def _inflate(self, stored, raw_len, rid):
        d = zlib.decompressobj()
        try:
            out = d.decompress(stored, raw_len + 1)
        except zlib.error:
            raise self._fail('corrupt frame: bad compressed data', rid)
        if len(out) > raw_len:
            raise self._fail('corrupt frame: payload longer than declared', rid)
        if not d.eof:
            raise self._fail('corrupt frame: compressed data ends early', rid)
        if len(out) != raw_len or d.unused_data:
            raise self._fail('corrupt frame: payload length mismatch', rid)
        return out


class Writer:
    """Write records as a stream: to a path, '-' (standard output) or a binary file object.

    zlevel 0 stores frames (the tools' default), 1..9 compresses them with zlib.
    close() writes the end frame; a writer left unclosed after an error leaves a stream
    that readers reject, with every record before it intact. Use it as a context manager:
    the end frame is written only when the block ends without an exception.
    """

    def __init__(self, dest, zlevel=0):
        if not 0 <= zlevel <= 9:
            raise ValueError('compression level %d is not in 0..9' % zlevel)
        self._fp, self._owns, self.name = _open(dest, 'wb')
        self.zlevel = zlevel
        self.nwritten = 0
        self._fp.write(MAGIC + struct.pack('<II', VERSION, 0))

    def write(self, rec):
        """append one Record (tensors: numpy arrays of float32, float16, int32, uint8, bool or bf16)"""
        payload = _encode_payload(rec, self.name)
        idb = rec.id.encode('utf-8', 'surrogateescape')
        pcrc = zlib.crc32(payload)
        if self.zlevel:
            z = zlib.compressobj(self.zlevel)
            stored = z.compress(payload) + z.flush()
            self._frame(TAG_REC, 1, len(stored), len(payload), pcrc, idb)
        else:
            stored = payload
            self._frame(TAG_REC, 0, len(stored), len(payload), pcrc, idb)
        self._fp.write(stored)
        self._fp.flush()
        self.nwritten += 1

    def _frame(self, tag, codec, stored_len, raw_len, pcrc, idb):
        h = FRAME_FIXED.pack(tag, codec, b'\0\0\0', stored_len, raw_len, pcrc, len(idb)) + idb
        self._fp.write(h + struct.pack('<I', zlib.crc32(h)))

    def close(self):
        """write the end frame and close what this writer opened"""
        if self._fp is None:
            return
        self._frame(TAG_END, 0, 0, self.nwritten, 0, b'')
        self._fp.flush()
        if self._owns:
            self._fp.close()
        self._fp = None

    def abort(self):
        """stop without the end frame (readers will reject the stream as cut)"""
        if self._fp is not None:
            self._fp.flush()
            if self._owns:
                self._fp.close()
        self._fp = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _text(s, what, name, rid):
    b = s.encode('utf-8', 'surrogateescape') if isinstance(s, str) else bytes(s)
    if b'\x00' in b:
        raise ValueError('%s: record "%s": %s contains a NUL byte' % (name, rid, what))
    return b


def _encode_payload(rec, name):
    idb = _text(rec.id, 'the id', name, rec.id)
    if len(idb) > MAX_ID:
        raise ValueError('%s: record id longer than %d bytes' % (name, MAX_ID))
    out = io.BytesIO()
    seq = _text(rec.seq, 'the sequence', name, rec.id)
    out.write(struct.pack('<IQ', 1 if rec.aligned is not None else 0, len(seq)) + seq)
    if rec.aligned is not None:
        a = _text(rec.aligned, 'the aligned row', name, rec.id)
        out.write(struct.pack('<Q', len(a)) + a)
    out.write(struct.pack('<I', len(rec.meta)))
    for k, v in rec.meta.items():
        kb, vb = _text(k, 'a metadata key', name, rec.id), _text(str(v), 'a metadata value', name, rec.id)
        out.write(struct.pack('<I', len(kb)) + kb + struct.pack('<Q', len(vb)) + vb)
    out.write(struct.pack('<I', len(rec.tensors)))
    for tname, arr in rec.tensors.items():
        nb = _text(tname, 'a tensor name', name, rec.id)
        arr = np.asarray(arr)
        if arr.dtype == np.bool_:
            arr = arr.astype(np.uint8)
        dt = dtype_name(arr.dtype)
        if not 1 <= len(nb) <= MAX_NAME or dt is None or arr.ndim > MAX_RANK:
            raise ValueError('%s: record "%s": tensor "%s" cannot go on a stream (name of 1 to %d bytes, dtype '
                             'f32/f16/bf16/i32/u8 — cast with .astype(np.float32) —, rank <= %d; got %s, rank %d)'
                             % (name, rec.id, tname, MAX_NAME, MAX_RANK, arr.dtype, arr.ndim))
        code = [n for n, _ in DTYPES].index(dt)
        out.write(struct.pack('<I', len(nb)) + nb + struct.pack('<BBH', code, arr.ndim, 0))
        out.write(struct.pack('<%dQ' % arr.ndim, *arr.shape))
        out.write(np.ascontiguousarray(arr, dtype=DTYPES[code][1].newbyteorder('<')).tobytes())
    return out.getvalue()
