"""mx.recordio: MXNet's RecordIO files, read and written as MXNet 1.9.1's
mxnet/recordio.py (over dmlc-core's recordio.cc) does, byte for byte.

    record = mx.recordio.MXIndexedRecordIO('data.idx', 'data.rec', 'w')
    record.write_idx(0, mx.recordio.pack(mx.recordio.IRHeader(0, 3.0, 0, 0),
                                         b'payload'))
    record.close()
    header, payload = mx.recordio.unpack(
        mx.recordio.MXIndexedRecordIO('data.idx', 'data.rec', 'r').read_idx(0))

The .rec format (dmlc-core's RecordIOWriter): each record is one or more
parts, each a little-endian uint32 magic 0xced7230a, a uint32 lrec =
cflag << 29 | length, the part's bytes and zero padding to 4 bytes. A
record whose data holds the magic number at a 4-byte aligned offset is cut
there (the magic itself left out): cflag 0 is a whole record, 1 its first
part, 2 a middle one, 3 the last; the reader puts the magic back between
parts. The .idx file is text, one "key<TAB>byte offset" line per record.

pack/unpack put MXNet's image-record header ('IfQQ': flag uint32, label
float32, id uint64, id2 uint64, native byte order) before the payload; a
label array is stored as `flag` float32s after the header. pack_img and
unpack_img encode and decode images as OpenCV's imencode/imdecode (BGR
channel order) do, through Pillow (kiln._image_codec).

Errors: a missing file raises MXNetError naming it; a damaged file raises
MXNetError ("Invalid RecordIO File", as MXNet); an unknown flag raises
ValueError; writing to a reader or reading from a writer raises
AssertionError, as in MXNet.
"""
from collections import namedtuple
from multiprocessing import current_process
import numbers
import struct

import numpy as np

from .base import MXNetError

__all__ = ["MXRecordIO", "MXIndexedRecordIO", "IRHeader", "pack", "unpack",
           "pack_img", "unpack_img"]

_MAGIC = 0xced7230a
_MAGIC_BYTES = struct.pack("<I", _MAGIC)
_LENGTH_MASK = (1 << 29) - 1


def _encode_parts(buf):
    """The bytes dmlc-core's RecordIOWriter::WriteRecord writes for `buf`."""
    size = len(buf)
    if size >= 1 << 29:
        raise MXNetError("MXRecordIO.write: RecordIO only accepts records of "
                         "less than 2^29 bytes, got %d" % size)
    out = []
    start = 0
    at = buf.find(_MAGIC_BYTES)
    while at != -1:
        if at % 4 == 0:
            out.append(struct.pack("<II", _MAGIC,
                                   (1 if start == 0 else 2) << 29 | at - start))
            out.append(buf[start:at])
            start = at + 4
            at = buf.find(_MAGIC_BYTES, start)
        else:
            at = buf.find(_MAGIC_BYTES, at + 1)
    out.append(struct.pack("<II", _MAGIC, (3 if start else 0) << 29
                           | size - start))
    out.append(buf[start:])
    out.append(b"\0" * (-size % 4))
    return b"".join(out)


class MXRecordIO(object):
    """Reads ('r') or writes ('w', truncating) the RecordIO file `uri` one
    record after the other (MXNet's mxnet.recordio.MXRecordIO).

    Records are bytes. read() gives None at the end of the file. A pickled
    MXRecordIO reopens its file where it is unpickled (a reader from its
    start); a reader used in another process than the one that opened it
    raises RuntimeError, as MXNet's."""

    def __init__(self, uri, flag):
        self.uri = uri
        self.flag = flag
        self.pid = None
        self.is_open = False
        self.writable = flag == "w"
        self._file = None
        self.open()

    def open(self):
        """Opens the record file (MXNetError when it cannot be opened)."""
        if self.flag not in ("w", "r"):
            raise ValueError("Invalid flag %s" % self.flag)
        self.writable = self.flag == "w"
        try:
            self._file = open(self.uri, "wb" if self.writable else "rb")
        except OSError as error:
            raise MXNetError('MXRecordIO: cannot open "%s" for %s: %s'
                             % (self.uri, "writing" if self.writable
                                else "reading", error.strerror or error)) from None
        self.pid = current_process().pid
        self.is_open = True

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __getstate__(self):
        is_open = self.is_open
        self.close()
        state = dict(self.__dict__)
        state["is_open"] = is_open
        del state["_file"]
        return state

    def __setstate__(self, state):
        self.__dict__ = state
        self._file = None
        self.is_open = False
        if state["is_open"]:
            self.open()

    def _check_pid(self, allow_reset=False):
        if self.pid != current_process().pid:
            if allow_reset:
                self.reset()
            else:
                raise RuntimeError("Forbidden operation in multiple processes")

    def close(self):
        """Closes the record file."""
        if not self.is_open:
            return
        self._file.close()
        self.is_open = False
        self.pid = None

    def reset(self):
        """Goes back to the first record (a writer truncates the file)."""
        self.close()
        self.open()

    def write(self, buf):
        """Appends the record `buf` (bytes)."""
        assert self.writable
        self._check_pid(allow_reset=False)
        if not isinstance(buf, (bytes, bytearray, memoryview)):
            raise TypeError("bytes or integer address expected instead of %s "
                            "instance" % type(buf).__name__)
        self._file.write(_encode_parts(bytes(buf)))

    def read(self):
        """The next record as bytes, or None at the end of the file."""
        assert not self.writable
        self._check_pid(allow_reset=False)
        parts = []
        while True:
            head = self._file.read(8)
            if not head:
                if parts:
                    raise MXNetError('MXRecordIO: Invalid RecordIO File "%s": '
                                     "it ends inside a record" % self.uri)
                return None
            if len(head) != 8:
                raise MXNetError('MXRecordIO: Invalid RecordIO File "%s": a '
                                 "record header is cut short" % self.uri)
            magic, lrec = struct.unpack("<II", head)
            if magic != _MAGIC:
                raise MXNetError('MXRecordIO: Invalid RecordIO File "%s": '
                                 "expected the magic number 0x%08x at byte %d, "
                                 "got 0x%08x" % (self.uri, _MAGIC,
                                                 self._file.tell() - 8, magic))
            cflag, length = lrec >> 29, lrec & _LENGTH_MASK
            padded = (length + 3) & ~3
            data = self._file.read(padded)
            if len(data) != padded:
                raise MXNetError('MXRecordIO: Invalid RecordIO File "%s": '
                                 "upper_align=%d bytes of record expected, %d "
                                 "left" % (self.uri, padded, len(data)))
            parts.append(data[:length])
            if cflag in (0, 3):
                return _MAGIC_BYTES.join(parts)


class MXIndexedRecordIO(MXRecordIO):
    """A RecordIO file with an index file `idx_path` (lines "key\\toffset"),
    for reading records by key (MXNet's mxnet.recordio.MXIndexedRecordIO).

    keys lists the keys in file order, idx maps key -> byte offset; keys are
    made with key_type (default int). read_idx of an unknown key raises
    KeyError."""

    def __init__(self, idx_path, uri, flag, key_type=int):
        self.idx_path = idx_path
        self.idx = {}
        self.keys = []
        self.key_type = key_type
        self.fidx = None
        super(MXIndexedRecordIO, self).__init__(uri, flag)

    def open(self):
        super(MXIndexedRecordIO, self).open()
        self.idx = {}
        self.keys = []
        self.fidx = open(self.idx_path, self.flag)
        if not self.writable:
            for line in iter(self.fidx.readline, ""):
                fields = line.strip().split("\t")
                key = self.key_type(fields[0])
                self.idx[key] = int(fields[1])
                self.keys.append(key)

    def close(self):
        """Closes the record and index files."""
        if not self.is_open:
            return
        super(MXIndexedRecordIO, self).close()
        self.fidx.close()

    def __getstate__(self):
        state = super(MXIndexedRecordIO, self).__getstate__()
        state["fidx"] = None
        return state

    def seek(self, idx):
        """Moves the reader to the record of key `idx` (reopens the file in
        a new process)."""
        assert not self.writable
        self._check_pid(allow_reset=True)
        self._file.seek(self.idx[idx])

    def tell(self):
        """The writer's position: the byte offset of the next record."""
        assert self.writable
        return self._file.tell()

    def read_idx(self, idx):
        """The record of key `idx`, as bytes."""
        self.seek(idx)
        return self.read()

    def write_idx(self, idx, buf):
        """Appends the record `buf` under key `idx`."""
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        self.fidx.write("%s\t%d\n" % (str(key), pos))
        self.idx[key] = pos
        self.keys.append(key)


IRHeader = namedtuple("HEADER", ["flag", "label", "id", "id2"])
IRHeader.__doc__ = """An image record's header: flag (uint32; the number of
labels when label is an array), label (float32, or an array of float32),
id and id2 (uint64; id2 the high bits of the id, usually 0)."""

_IR_FORMAT = "IfQQ"
_IR_SIZE = struct.calcsize(_IR_FORMAT)


def pack(header, s):
    """`s` (bytes) behind the packed IRHeader `header`: a numeric label
    sets flag 0; an array label is stored as float32s after the header and
    sets flag to its size (label 0 in the header)."""
    header = IRHeader(*header)
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
    else:
        label = np.asarray(header.label, dtype=np.float32)
        header = header._replace(flag=label.size, label=0)
        s = label.tobytes() + s
    return struct.pack(_IR_FORMAT, *header) + s


def unpack(s):
    """(IRHeader, payload bytes) of a packed record; the label is a float,
    or a float32 array of `flag` values when flag > 0."""
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        header = header._replace(label=np.frombuffer(s, np.float32,
                                                     header.flag))
        s = s[header.flag * 4:]
    return header, s


def unpack_img(s, iscolor=-1):
    """(IRHeader, image) of a packed image record: a uint8 numpy array in
    OpenCV's layout (H, W) or (H, W, C), BGR; iscolor as cv2.imdecode's
    flag: -1 unchanged, 0 greyscale, 1 colour."""
    from . import _image_codec
    header, s = unpack(s)
    return header, _image_codec.decode(s, iscolor, bgr=True)


def pack_img(header, img, quality=95, img_fmt=".jpg"):
    """pack(header, bytes) of the uint8 image `img` (OpenCV's layout, BGR)
    encoded as `img_fmt` ('.jpg'/'.jpeg' with JPEG quality 1-100, '.png'
    with compression level `quality` 0-9)."""
    from . import _image_codec
    return pack(header, _image_codec.encode(img, img_fmt, quality, bgr=True))
