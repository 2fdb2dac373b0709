"""tools.py: running plmscope's programs from Python, and what a notebook shows.

Contents: run() pipes records (or raw input such as FASTA text) through a tool and
returns its records; ToolError; contacts_table() turns contact maps into a long
pandas table; attnview() returns a page that Jupyter displays inline.
"""
import html
import os
import shutil
import subprocess
import tempfile
import threading

import numpy as np

from .stream import Reader, Record, Writer


class ToolError(RuntimeError):
    """a tool exited non-zero; the message is its own one-line error"""


def _tool_path(name, tools):
    if os.sep in name:
        return name
    where = tools or os.environ.get('PLMSCOPE_BIN')
    if where:
        p = os.path.join(where, name)
        if os.access(p, os.X_OK):
            return p
    p = shutil.which(name)
    if not p:
        raise ToolError('%s: not found on PATH (install plmscope, or set PLMSCOPE_BIN or tools=)' % name)
    return p


def _feed(proc, records, errors):
    try:
        if isinstance(records, (bytes, str)):
            proc.stdin.write(records.encode() if isinstance(records, str) else records)
        elif isinstance(records, Record):
            with Writer(proc.stdin) as w:
                w.write(records)
        else:
            with Writer(proc.stdin) as w:
                for rec in records:
                    w.write(rec)
    except BrokenPipeError:
        pass                       # the tool stopped reading: its exit status tells why
    except BaseException as e:     # a bad record: the tool sees a cut stream and fails too
        errors.append(e)
    finally:
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass


def run(args, records=None, tools=None, stream=False):
    """Run a plmscope tool and return the records it writes.

    args     the command, e.g. ["attn", "-m", "esm2_t6_8M_UR50D.pt", "--contacts"]
    records  what goes to its standard input: Records (a list, any iterable, or one),
             bytes or str (e.g. FASTA text for seqread), or None for no input
    tools    the folder holding the programs (default: $PLMSCOPE_BIN, then PATH)
    stream   False: a list of Records (the tool's whole output in memory);
             True: a generator that yields them as the tool writes them

    Raises ToolError with the tool's own error line when it fails.
    """
    gen = _run(args, records, tools)
    return gen if stream else list(gen)


def _run(args, records, tools):
    cmd = [_tool_path(args[0], tools)] + [str(a) for a in args[1:]]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if records is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=err)
        errors, feeder = [], None
        if records is not None:
            feeder = threading.Thread(target=_feed, args=(proc, records, errors), daemon=True)
            feeder.start()
        try:
            failure = None
            try:
                if proc.stdout.peek(1):    # a tool that writes only files (attnview -o) writes no stream
                    yield from Reader(proc.stdout, name=args[0])
            except Exception as e:
                failure = e
            rc = proc.wait()
            if feeder:
                feeder.join()
            if errors:
                raise errors[0]
            if rc != 0:
                err.seek(0)
                lines = err.read().decode('utf-8', 'replace').strip().splitlines()
                raise ToolError(lines[-1] if lines else '%s exited with status %d' % (args[0], rc))
            if failure:
                raise failure
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()


RANGES = ((24, 'long'), (12, 'medium'), (6, 'short'), (0, 'local'))


def contact_range(sep):
    """Rao et al.'s ranges by sequence separation: local < 6 <= short < 12 <= medium < 24 <= long"""
    return next(name for lo, name in RANGES if sep >= lo)


def contacts_table(records, tensor='contacts', min_sep=6):
    """Contact maps as a pandas long table, one row per pair i < j with j - i >= min_sep:
    columns id, i, j (1-based residues, as CASP RR), score, sep, range, highest score first
    within each record. `records` is one Record or an iterable of them."""
    import pandas as pd
    if isinstance(records, Record):
        records = [records]
    frames = []
    for rec in records:
        m = np.asarray(rec.tensors[tensor], dtype=np.float32)
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise ValueError('record "%s": tensor %s is %s, not a square map' % (rec.id, tensor, list(m.shape)))
        i, j = np.triu_indices(m.shape[0], k=max(min_sep, 1))
        sep = j - i
        df = pd.DataFrame({'id': rec.id, 'i': i + 1, 'j': j + 1, 'score': m[i, j], 'sep': sep,
                           'range': pd.Categorical([contact_range(s) for s in sep],
                                                   categories=[n for _, n in reversed(RANGES)])})
        frames.append(df.sort_values(['score', 'i', 'j'], ascending=[False, True, True], kind='stable'))
    cols = ['id', 'i', 'j', 'score', 'sep', 'range']
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


class Page:
    """an attnview page: Jupyter shows it inline (in an iframe, so its scripts stay apart);
    .html is the page itself, .save(path) writes it"""

    def __init__(self, text, height=720):
        self.html, self.height = text, height

    def _repr_html_(self):
        return ('<iframe srcdoc="%s" style="width:100%%;height:%dpx;border:0" sandbox="allow-scripts"></iframe>'
                % (html.escape(self.html, quote=True), self.height))

    def save(self, path):
        with open(path, 'w') as f:
            f.write(self.html)


def attnview(records, pdb, tools=None, options=()):
    """Draw a record's attention on its structure with the attnview tool and return a Page
    (displayed inline by Jupyter). `options` are further attnview arguments, e.g. ["-l", 6, "-H", 3]."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, 'page.html')
        run(['attnview', '--pdb', pdb, '-o', out] + list(options), records, tools=tools)
        with open(out) as f:
            return Page(f.read())
