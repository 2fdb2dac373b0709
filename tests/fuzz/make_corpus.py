#!/usr/bin/env python3
"""make_corpus.py: write the seed corpora of fuzz_pickle, fuzz_zipread and fuzz_safetensors.

Standard library only. torch is not needed: stand-in modules named torch and
torch._utils let the stdlib pickler write exactly the globals and persistent ids
torch.save writes. Seeds are small (< 4 KB) and built from scratch here, never
copied from ../shared. Run from the repository root: python3 tests/fuzz/make_corpus.py
"""
import argparse
import collections
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
LEGACY_MAGIC = 0x1950a86a20f9469cfc6c

torch = types.ModuleType('torch')
torch_utils = types.ModuleType('torch._utils')
sys.modules['torch'], sys.modules['torch._utils'] = torch, torch_utils


def _rebuild_tensor_v2(*args):
    raise RuntimeError('stand-in: never called')


_rebuild_tensor_v2.__module__ = 'torch._utils'
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
STORAGE_TYPES = {}
for name in ('FloatStorage', 'HalfStorage', 'LongStorage', 'BoolStorage'):
    STORAGE_TYPES[name] = type(name, (), {'__module__': 'torch'})
    setattr(torch, name, STORAGE_TYPES[name])
ELEMENT_SIZE = {'FloatStorage': 4, 'HalfStorage': 2, 'LongStorage': 8, 'BoolStorage': 1}


class Tensor:
    """pickles as torch.save pickles a contiguous tensor of storage key"""
    def __init__(self, stype, key, numel, size, stride, offset=0, legacy=False):
        self.pid = ('storage', STORAGE_TYPES[stype], key, 'cpu', numel) + ((None,) if legacy else ())
        self.args = (offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (_rebuild_tensor_v2, (PersistentId(self.pid),) + self.args)


class PersistentId(tuple):
    pass


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return tuple(obj) if isinstance(obj, PersistentId) else None


def dumps(obj, protocol=2):
    b = io.BytesIO()
    Pickler(b, protocol=protocol).dump(obj)
    return b.getvalue()


def state(legacy=False):
    """a two-tensor fair-esm style checkpoint and the bytes of its storages"""
    sd = collections.OrderedDict([
        ('layer.weight', Tensor('FloatStorage', '0', 6, (2, 3), (3, 1), legacy=legacy)),
        ('layer.bias', Tensor('HalfStorage', '1', 3, (3,), (1,), legacy=legacy)),
    ])
    args = argparse.Namespace(encoder_layers=1, encoder_embed_dim=3, dropout=0.1, arch='esm2', flag=True)
    data = {'0': struct.pack('<6f', 1, 2, 3, 4, 5, 6), '1': struct.pack('<3e', 0.5, -1, 2)}
    return {'model': sd, 'cfg': {'model': args}}, data


def legacy_file():
    root, data = state(legacy=True)
    out = dumps(LEGACY_MAGIC) + dumps(1001) + dumps({'protocol_version': 1001, 'little_endian': True,
                                                       'type_sizes': {'short': 2, 'int': 4, 'long': 4}})
    out += dumps(root) + dumps(['0', '1'])
    for key, size in (('0', 4), ('1', 2)):
        out += struct.pack('<q', len(data[key]) // size) + data[key]
    return out


def torch_zip(method=zipfile.ZIP_STORED, folder='model', comment=b''):
    root, data = state()
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', method) as z:
        z.writestr(folder + '/data.pkl', dumps(root))
        for key, value in data.items():
            z.writestr(folder + '/data/' + key, value)
        z.writestr(folder + '/version', b'3\n')
        z.comment = comment
    return b.getvalue()


def zip64_archive():
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w') as z:
        with z.open('archive/data.pkl', 'w', force_zip64=True) as f:
            f.write(dumps({'x': 1}))
    return b.getvalue()


def safetensors(tensors, metadata=True, pad=8):
    header, blob = {}, b''
    if metadata:
        header['__metadata__'] = {'format': 'pt'}
    for name, dtype, shape, data in tensors:
        header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [len(blob), len(blob) + len(data)]}
        blob += data
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % pad)
    return struct.pack('<Q', len(h)) + h + blob


def write(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), 'wb') as f:
        f.write(data)


def main():
    root, _ = state()
    write('pickle', 'plain_p2', dumps({'a': 1, 'b': [1.5, None, True, -300, 2 ** 70], 'c': ('x', b'yz')}))
    write('pickle', 'plain_p4', dumps({'a': [1, 2, 3] * 3, 'b': {'c': 'd'}}, protocol=4))
    write('pickle', 'plain_p5', dumps([bytearray(b'abc'), 1e-5, 'é'], protocol=5))
    write('pickle', 'state_dict_p2', dumps(root))
    write('pickle', 'state_dict_p4', dumps(root, protocol=4))
    write('pickle', 'legacy_file', legacy_file())
    write('zipread', 'torch_stored', torch_zip())
    write('zipread', 'torch_deflated', torch_zip(zipfile.ZIP_DEFLATED, folder='archive'))
    write('zipread', 'torch_comment', torch_zip(comment=b'a comment'))
    write('zipread', 'zip64', zip64_archive())
    f32 = struct.pack('<4f', 1, 2, 3, 4)
    write('safetensors', 'f32_i64', safetensors([('w', 'F32', [2, 2], f32), ('ids', 'I64', [2], struct.pack('<2q', 0, 1))]))
    write('safetensors', 'f16_bool_empty', safetensors([('h', 'F16', [2], struct.pack('<2e', 1, 2)),
                                                        ('m', 'BOOL', [3], b'\x01\x00\x01'), ('e', 'BF16', [0, 3], b'')]))
    write('safetensors', 'unpadded', safetensors([('w', 'F32', [4], f32)], metadata=False, pad=1))


if __name__ == '__main__':
    main()
