"""python_checks.py: checks of the Python package against the C tools, run by python.sh
inside a venv where `plmscope` was installed the user's way.

Usage: python_checks.py CHECK BIN T [ARGS...]; prints PASS/FAIL lines (tests/lib.sh protocol).
"""
import io
import os
import subprocess
import sys

import numpy as np

import plmscope

BIN, T = sys.argv[2], sys.argv[3]


def ok(name, cond, why=''):
    print(('PASS %s' % name) if cond else ('FAIL %s: %s' % (name, why)))


def every_dtype_record(k):
    """one record with every stream dtype at ranks 0..4, metadata and (odd k) an aligned row"""
    rng = np.random.default_rng(k)
    t = {}
    shapes = [(), (3,), (2, 3), (2, 1, 3), (1, 2, 2, 2)]
    for r, shape in enumerate(shapes):
        t['f32_r%d' % r] = rng.standard_normal(shape).astype(np.float32)
        t['f16_r%d' % r] = rng.standard_normal(shape).astype(np.float16)
        t['bf16_r%d' % r] = rng.integers(0, 65535, shape, dtype=np.uint16).astype(plmscope.BF16)
        t['i32_r%d' % r] = rng.integers(-2**31, 2**31 - 1, shape, dtype=np.int32)
        t['u8_r%d' % r] = rng.integers(0, 255, shape, dtype=np.uint8)
    t['empty'] = np.zeros((0, 4), np.float32)
    return plmscope.Record('P%03d' % k, 'MKTAYIAKQR'[:k + 3], 'MK-TAY' if k % 2 else None,
                           {'source': 'python', 'k': str(k)}, t)


def stream_bytes(records, zlevel=0):
    b = io.BytesIO()
    plmscope.write(b, records, zlevel=zlevel)
    return b.getvalue()


def plmstream(*args, data=None):
    return subprocess.run([os.path.join(BIN, 'plmstream')] + list(args), input=data, capture_output=True)


def check_roundtrip():
    recs = [every_dtype_record(k) for k in range(3)]
    for z in (0, 6):
        mine = stream_bytes(recs, z)
        back = list(plmscope.read(io.BytesIO(mine)))
        ok('python round trip, zlevel %d: every dtype, rank 0-4, aligned rows, metadata' % z,
           back == recs and all(plmscope.dtype_name(a.dtype) == plmscope.dtype_name(b.dtype)
                                for r, s in zip(back, recs) for a, b in zip(r.tensors.values(), s.tensors.values())),
           'records differ after a round trip')
        # C re-frames Python's stream: the same bytes, stored or recompressed at the same level
        c = plmstream('cat', '-z', str(z), '-', data=stream_bytes(recs, 0))
        ok('python -> plmstream cat -z %d: byte-identical' % z, c.returncode == 0 and c.stdout == mine,
           c.stderr.decode()[:300] or 'bytes differ (%d vs %d)' % (len(c.stdout), len(mine)))
    ls = plmstream('ls', '-l', '-', data=stream_bytes(recs)).stdout.decode()
    ok('plmstream ls -l reads python tensors with their dtypes and shapes',
       'bf16_r4:bf16[1,2,2,2]' in ls and 'i32_r0:i32[]' in ls and 'empty:f32[0,4]' in ls, ls[:300])


def check_c_to_python(path):
    """a C tool's real output (attn) read and rewritten by Python: identical bytes, and
    every tensor equal to what plmstream npy writes"""
    data = open(path, 'rb').read()
    recs = list(plmscope.read(path))
    ok('attn output -> python -> writer: byte-identical (%d records)' % len(recs), stream_bytes(recs) == data)
    z = plmstream('cat', '-z', '6', path).stdout
    ok('plmstream cat -z 6 -> python: same records as stored', list(plmscope.read(io.BytesIO(z))) == recs)
    outdir = os.path.join(T, 'npy')
    plmstream('npy', '-o', outdir, path)
    bad = [f'{r.id}.{n}' for r in recs for n, a in r.tensors.items()
           if not np.array_equal(np.load(os.path.join(outdir, f'{r.id}.{n}.npy')), a)]
    files = len(os.listdir(outdir))
    ok('python tensors equal plmstream npy files (%d files)' % files,
       not bad and files == sum(len(r.tensors) for r in recs), 'differ: %s' % bad[:5])
    views = [a for r in recs for a in r.tensors.values()]
    ok('stored frames give numpy views, not copies', all(not a.flags.owndata and not a.flags.writeable for a in views))


def c_error(data):
    """the C reader's one-line error for a damaged stream (plmstream cat), or None if it accepts it"""
    r = plmstream('cat', '-', data=data)
    return None if r.returncode == 0 else r.stderr.decode().strip().split('plmstream: ', 1)[-1]


def py_read(data):
    """(records yielded before the error, the error message or None)"""
    got = []
    try:
        for rec in plmscope.Reader(io.BytesIO(data), name='stdin'):
            got.append(rec)
    except plmscope.StreamError as e:
        return got, str(e)
    return got, None


def small_record(k):
    """a small record, so that every byte of a stream can be damaged in turn"""
    return plmscope.Record('S%d' % k, 'MKTAYIA'[:k + 2], 'M-K' if k == 1 else None, {'k': str(k)},
                           {'x': np.arange(6 * (k + 1), dtype=np.float32).reshape(k + 1, 6),
                            'h': np.full(k + 1, k, np.float16), 'b': np.arange(2, dtype=np.uint16).astype(plmscope.BF16)})


def check_damage(kind):
    recs = [small_record(k) for k in range(3)]
    for z in (0, 6):
        data = stream_bytes(recs, z)
        ends, pos = [], 16             # where each record's frame ends
        rd = plmscope.Reader(io.BytesIO(data))
        stream = rd._fp
        for _ in rd:
            ends.append(stream.tell())
        n = len(data)
        bad_prefix, accepted, differ = [], [], []
        for k in range(n):
            if kind == 'cut':
                damaged = data[:k]
            else:
                damaged = bytearray(data)
                damaged[k] ^= 1 << (k % 8)
                damaged = bytes(damaged)
            got, err = py_read(damaged)
            intact = sum(1 for e in ends if e <= k)
            # a flip in the unused bits that pad deflate's last byte changes no data: such a
            # stream reads back whole and equal; any other damage must be refused
            harmless = err is None and got == recs
            if err is None and not harmless:
                accepted.append(k)
            if got != recs[:len(got)] or (len(got) > intact and not harmless):
                bad_prefix.append(k)
            cerr = c_error(damaged)
            if cerr != err:
                differ.append((k, cerr, err))
        what = 'cut at every byte' if kind == 'cut' else 'a bit flipped in every byte'
        ok('python refuses a stream %s unless the data is unchanged (zlevel %d, %d bytes)' % (what, z, n), not accepted, 'accepted at %s' % accepted[:5])
        ok('python yields only intact records before the damage (%s, zlevel %d)' % (kind, z), not bad_prefix,
           'wrong records at %s' % bad_prefix[:5])
        ok('python and C give the same error for each %s (zlevel %d)' % (kind, z), not differ,
           '%d differ, first %s' % (len(differ), differ[:1]))


def check_run(fasta, model):
    recs = plmscope.run([os.path.join(BIN, 'seqread'), fasta])
    out = plmscope.run([os.path.join(BIN, 'attn'), '-m', model, '--contacts'], recs)
    shell = subprocess.run('%s/seqread %s | %s/attn -m %s --contacts' % (BIN, fasta, BIN, model), shell=True,
                           capture_output=True).stdout
    ok('plmscope.run pipes records through seqread and attn like the shell pipeline',
       out == list(plmscope.read(io.BytesIO(shell))) and len(out) == 3)
    try:
        plmscope.run([os.path.join(BIN, 'attn'), '-m', '/nonexistent.pt'], recs)
        ok('plmscope.run raises the tool error', False, 'no exception')
    except plmscope.ToolError as e:
        ok('plmscope.run raises the tool error', '/nonexistent.pt' in str(e), str(e))
    streamed = plmscope.run([os.path.join(BIN, 'plmstream'), 'cat'], recs, stream=True)
    ok('plmscope.run(stream=True) yields lazily', not isinstance(streamed, list) and list(streamed) == recs)
    df = plmscope.contacts_table(out)
    rr = plmstream('rr', '-s', '6', '-', data=shell).stdout.decode().split('\n')
    first = out[0]
    rows = [line.split() for line in rr if line[:1].isdigit()][:len(first.seq)]
    top = df[df.id == first.id].head(len(rows))
    ok('contacts_table: the top pairs and scores of plmstream rr',
       [(int(a), int(b)) for a, b, *_ in rows] == list(zip(top.i, top.j)) and
       np.allclose([float(r[4]) for r in rows], top.score, atol=1e-5) and set(df.range) <= {'short', 'medium', 'long'},
       str(top.head(3)))


def check_stdin(path):
    r = subprocess.run([sys.executable, '-c', 'import plmscope; print(sum(1 for _ in plmscope.read("-")))'],
                       stdin=open(path, 'rb'), capture_output=True)
    n = sum(1 for _ in plmscope.read(path))
    ok('plmscope.read("-") reads standard input', r.stdout.decode().strip() == str(n), r.stderr.decode()[:300])


def check_attnview(pdb, tsr):
    page = plmscope.attnview(list(plmscope.read(tsr))[:1], pdb, tools=BIN)
    h = page._repr_html_()
    ok('attnview Page renders inline as a sandboxed iframe with the whole page',
       h.startswith('<iframe srcdoc="') and '&lt;html' in h.lower() and len(page.html) > 100000, h[:200])


if __name__ == '__main__':
    check = sys.argv[1]
    args = sys.argv[4:]
    {'roundtrip': lambda: check_roundtrip(), 'c2py': lambda: check_c_to_python(*args),
     'cut': lambda: check_damage('cut'), 'flip': lambda: check_damage('flip'),
     'run': lambda: check_run(*args), 'stdin': lambda: check_stdin(*args),
     'attnview': lambda: check_attnview(*args)}[check]()
