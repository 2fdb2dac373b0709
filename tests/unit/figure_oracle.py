"""figure_oracle.py: the PNG decoder of test_figure.c (standard library only).

  png FILE X,Y ...   check the signature, chunk CRCs and IHDR (8-bit RGB), inflate
                     IDAT, undo filter 0, and print: W H, then R G B of each pixel X,Y
"""
import struct
import sys
import zlib


def decode(path):
    buf = open(path, 'rb').read()
    assert buf[:8] == b'\x89PNG\r\n\x1a\n', 'signature'
    off, chunks = 8, []
    while off < len(buf):
        n, = struct.unpack('>I', buf[off:off + 4])
        typ, data = buf[off + 4:off + 8], buf[off + 8:off + 8 + n]
        crc, = struct.unpack('>I', buf[off + 8 + n:off + 12 + n])
        assert zlib.crc32(typ + data) & 0xffffffff == crc, 'CRC of ' + typ.decode()
        chunks.append((typ, data))
        off += 12 + n
    assert chunks[0][0] == b'IHDR' and chunks[-1][0] == b'IEND', 'chunk order'
    w, h, depth, ctype, comp, filt, inter = struct.unpack('>IIBBBBB', chunks[0][1])
    assert (depth, ctype, comp, filt, inter) == (8, 2, 0, 0, 0), 'IHDR'
    raw = zlib.decompress(b''.join(d for t, d in chunks if t == b'IDAT'))
    row = 3 * w + 1
    assert len(raw) == row * h and all(raw[y * row] == 0 for y in range(h)), 'rows / filter bytes'
    return w, h, lambda x, y: raw[y * row + 1 + 3 * x:y * row + 4 + 3 * x]


if __name__ == '__main__':
    w, h, px = decode(sys.argv[2])
    print(w, h)
    for xy in sys.argv[3:]:
        x, y = map(int, xy.split(','))
        print(*px(x, y))
