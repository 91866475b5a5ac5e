"""Python objects between the DataLoader and its worker processes, with
their arrays in shared memory.

An object is pickled with protocol 5, so numpy arrays (and the arrays
behind pickled NDArrays) travel out of band: they are written into one
anonymous shared-memory file (memfd) with the pickle stream, and only the
file descriptor and a short header cross the socket (a Unix SOCK_SEQPACKET
pair, one message per object). The receiver maps the file copy-on-write and
unpickles from it, so arrays are never copied through the socket and the
memory is freed once the last array made from it goes. Small objects
without arrays travel inline.

    left, right = socket_pair()
    send(left, encode({"x": np.ones(3)}))
    recv(right)      # {'x': array([1., 1., 1.])}
"""
import array
import io
import mmap
import os
import pickle
import select
import socket
import time

_INLINE_LIMIT = 32 * 1024
_ALIGN = 64


class Encoded(object):
    """An object ready to send, to one or several sockets: `head` (bytes)
    and `fd` (a memfd or None). close() frees the descriptor."""

    def __init__(self, head, fd=None):
        self.head = head
        self.fd = fd

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __del__(self):
        self.close()


def socket_pair():
    """Two connected Unix SOCK_SEQPACKET sockets (message boundaries kept)."""
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)


def encode(obj, pickler=pickle.Pickler):
    """`obj` pickled by `pickler` (a pickle.Pickler-like class) into an
    Encoded; pickling errors propagate."""
    buffers = []
    sink = io.BytesIO()
    pickler(sink, protocol=5, buffer_callback=buffers.append).dump(obj)
    stream = sink.getvalue()
    raws = [buffer.raw() for buffer in buffers]
    if not raws and len(stream) <= _INLINE_LIMIT:
        return Encoded(b"I" + stream)
    spans, at = [], len(stream)
    for raw in raws:
        at = (at + _ALIGN - 1) // _ALIGN * _ALIGN
        spans.append((at, raw.nbytes))
        at += raw.nbytes
    fd = os.memfd_create("kiln-dataloader", os.MFD_CLOEXEC)
    try:
        os.ftruncate(fd, at)
        with mmap.mmap(fd, at) as mapped:
            mapped[:len(stream)] = stream
            for (offset, size), raw in zip(spans, raws):
                mapped[offset:offset + size] = raw
    except BaseException:
        os.close(fd)
        raise
    return Encoded(b"M" + pickle.dumps((len(stream), at, spans)), fd)


def send(sock, encoded):
    """Sends an Encoded object (the descriptor is duplicated into the
    receiver; the caller still closes its own)."""
    if encoded.fd is None:
        sock.sendmsg([encoded.head])
    else:
        sock.sendmsg([encoded.head], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                       array.array("i", [encoded.fd]))])


def wait_readable(socks, deadline):
    """The sockets of `socks` with a message or an end (EOF) to read,
    waiting until `deadline` (time.monotonic(); None: forever); [] on
    timeout."""
    while True:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            ready, _, _ = select.select(socks, [], [], left)
        except InterruptedError:
            continue
        return ready


def recv(sock):
    """The next object from `sock` (blocking); EOFError when the other
    end is closed."""
    head, ancillary, _, _ = sock.recvmsg(
        _INLINE_LIMIT + 4096, socket.CMSG_SPACE(4 * array.array("i").itemsize))
    fds = []
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.extend(array.array("i", data[:len(data) - len(data) % 4]))
    if not head:
        for fd in fds:
            os.close(fd)
        raise EOFError("the other end of the socket is closed")
    if head[:1] == b"I":
        return pickle.loads(head[1:])
    stream_size, total, spans = pickle.loads(head[1:])
    try:
        mapped = mmap.mmap(fds[0], total, flags=mmap.MAP_PRIVATE,
                           prot=mmap.PROT_READ | mmap.PROT_WRITE)
    finally:
        for fd in fds:
            os.close(fd)
    view = memoryview(mapped)
    return pickle.loads(view[:stream_size],
                        buffers=[view[offset:offset + size]
                                 for offset, size in spans])
