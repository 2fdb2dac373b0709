#!/usr/bin/env python3
"""ckpt_oracle.py: an independent reader of model checkpoints, the oracle for test_checkpoint.

Standard library only (a restricted pickle.Unpickler, zipfile, json, struct, zlib):
no torch, and no code shared with formats/. For a torch file (zip or legacy), a
safetensors file or a HuggingFace folder it prints

    T name dtype d0,d1,... crc32     one line per tensor (crc32 of its bytes)
    C key value                      one line per config value

following the rules of formats/checkpoint.h.
Usage: ckpt_oracle.py PATH
"""
import argparse
import collections
import json
import os
import pickle
import struct
import sys
import zipfile
import zlib

STORAGES = {'FloatStorage': ('f32', 4), 'HalfStorage': ('f16', 2), 'BFloat16Storage': ('bf16', 2),
            'LongStorage': ('i64', 8), 'IntStorage': ('i32', 4), 'ByteStorage': ('u8', 1),
            'BoolStorage': ('u8', 1)}
SAFETENSORS = {'F32': ('f32', 4), 'F16': ('f16', 2), 'BF16': ('bf16', 2), 'I64': ('i64', 8),
               'I32': ('i32', 4), 'U8': ('u8', 1), 'BOOL': ('u8', 1)}
LEGACY_MAGIC = 0x1950a86a20f9469cfc6c


class StorageType:
    def __init__(self, name):
        self.dtype, self.size = STORAGES[name]


class Storage:
    """elements [offset, offset + numel) of the bytes stored under key, which may arrive later"""
    def __init__(self, store, key, stype, offset, numel):
        self.store, self.key, self.stype, self.offset, self.numel = store, key, stype, offset, numel


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(size), tuple(stride)

    def data(self):
        st, esz, n = self.storage, self.storage.stype.size, 1
        for d in self.shape:
            n *= d
        start = (st.offset + self.offset) * esz
        return st.store[st.key][start:start + n * esz]


def rebuild_tensor(storage, offset, size, stride, *_):
    return Tensor(storage, offset, size, stride)


class Unpickler(pickle.Unpickler):
    def __init__(self, f, store):
        super().__init__(f)
        self.store = store

    def find_class(self, module, name):
        if (module, name) == ('torch._utils', '_rebuild_tensor_v2'):
            return rebuild_tensor
        if (module, name) == ('collections', 'OrderedDict'):
            return collections.OrderedDict
        if (module, name) == ('argparse', 'Namespace'):
            return argparse.Namespace
        if module == 'torch' and name in STORAGES:
            return StorageType(name)
        raise pickle.UnpicklingError('refusing to load global %s.%s' % (module, name))

    def persistent_load(self, pid):
        stype, key, numel = pid[1], pid[2], pid[4]
        view = pid[5] if len(pid) > 5 else None
        if view is not None:
            return Storage(self.store, key, stype, view[1], view[2])
        return Storage(self.store, key, stype, 0, numel)


def read_zip(path):
    z = zipfile.ZipFile(path)
    pkl = [n for n in z.namelist() if n.endswith('data.pkl') and n.count('/') <= 1][0]
    prefix = pkl[:-len('data.pkl')]

    class ZipStore(dict):
        def __missing__(self, key):
            return z.read(prefix + 'data/' + key)
    return Unpickler(z.open(pkl), ZipStore()).load()


def read_legacy(path):
    store = {}
    with open(path, 'rb') as f:
        assert pickle.load(f) == LEGACY_MAGIC and pickle.load(f) == 1001
        pickle.load(f)
        u = Unpickler(f, store)
        root = u.load()
        keys = pickle.load(f)
        sizes = {}
        for t in tensors_of(root)[0].values():
            sizes[t.storage.key] = t.storage.stype.size
        for k in keys:
            n = struct.unpack('<q', f.read(8))[0]
            store[k] = f.read(n * sizes[k])
    return root


def tensors_of(root):
    """(state dict, config source) as formats/torchfile.c interprets a root object"""
    if isinstance(root, dict) and isinstance(root.get('model'), dict):
        ns = root.get('cfg', {}).get('model') if isinstance(root.get('cfg'), dict) else None
        return root['model'], ns if ns is not None else root.get('args')
    return root, None


def text(v):
    if v is None:
        return 'none'
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, (int, float, str)):
        return repr(v) if isinstance(v, float) else str(v)
    return None


def flatten(d, prefix='', depth=0, out=None):
    out = {} if out is None else out
    if isinstance(d, argparse.Namespace):
        d = vars(d)
    if not isinstance(d, dict) or depth > 4:
        return out
    for k, v in d.items():
        if not isinstance(k, str):
            continue
        t = text(v)
        if t is not None:
            out[prefix + k] = t
        elif isinstance(v, (dict, argparse.Namespace)):
            flatten(v, prefix + k + '.', depth + 1, out)
    return out


def torch_file(path):
    with open(path, 'rb') as f:
        head = f.read(4)
    if head == b'PK\x03\x04':
        root, layout = read_zip(path), 'torch-zip'
    else:
        root, layout = read_legacy(path), 'torch-legacy'
    state, ns = tensors_of(root)
    tensors = [(k, t.storage.stype.dtype, t.shape, t.data()) for k, t in state.items() if isinstance(t, Tensor)]
    return tensors, flatten(ns) if ns is not None else {}, layout


def safetensors_file(path):
    with open(path, 'rb') as f:
        b = f.read()
    n = struct.unpack('<Q', b[:8])[0]
    data = b[8 + n:]
    tensors = []
    for k, v in json.loads(b[8:8 + n]).items():
        if k != '__metadata__':
            lo, hi = v['data_offsets']
            tensors.append((k, SAFETENSORS[v['dtype']][0], tuple(v['shape']), data[lo:hi]))
    return tensors, {}, 'safetensors'


def weights_file(path):
    with open(path, 'rb') as f:
        b = f.read(9)
    return safetensors_file(path) if b[8:9] == b'{' else torch_file(path)


def main():
    path = sys.argv[1]
    if os.path.isdir(path):
        with open(os.path.join(path, 'config.json')) as f:
            config = flatten(json.load(f))
        w = os.path.join(path, 'model.safetensors')
        tensors, _, layout = weights_file(w if os.path.exists(w) else os.path.join(path, 'pytorch_model.bin'))
        layout = 'hf-dir+' + layout
    else:
        tensors, config, layout = weights_file(path)
    config['_layout'] = layout
    for name, dtype, shape, data in tensors:
        print('T %s %s %s %u' % (name, dtype, ','.join(map(str, shape)), zlib.crc32(data)))
    for k, v in config.items():
        print('C %s %s' % (k, v))


if __name__ == '__main__':
    main()
