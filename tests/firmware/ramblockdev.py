# A RAM block device with MicroPython's extended block protocol (readblocks/writeblocks with an
# offset, ioctl), as LittleFS uses the ESP32's flash partition. It can lose power: after `cut_after`
# write operations (a program or an erase) the next one writes only its first half and raises PowerCut,
# like a NOR flash whose supply drops mid-operation; every later write fails too, while reads still see
# what the flash holds (the code under test may run on a little, as a CPU with a charged capacitor
# does, but it changes nothing). The bytes left behind are `data`; mount a copy with
# `RAMBlockDev(data=bytearray(dev.data))` to see what a reboot sees.


class PowerCut(Exception):
    pass


class RAMBlockDev:
    def __init__(self, block_size=4096, blocks=32, data=None, cut_after=None):
        self.block_size = block_size
        self.blocks = blocks
        self.data = data if data is not None else bytearray(b"\xff" * (block_size * blocks))
        self.cut_after = cut_after
        self.writes = 0  # programs + erases so far
        self.dead = False
        self._off = PowerCut("flash is off")

    def _op(self, start, buf_or_len, fill):
        # one write operation; on the cut, half of it happens and the power is gone
        if self.dead:  # nothing reaches a flash without power (raised without allocating: a GC
            raise self._off  # finalizer closing a file may get here with the heap locked)
        n = buf_or_len if fill is not None else len(buf_or_len)
        if self.cut_after is not None and self.writes >= self.cut_after:
            self.dead = True
            n //= 2
            if fill is not None:
                self.data[start:start + n] = bytes((fill,)) * n
            else:
                self.data[start:start + n] = buf_or_len[:n]
            raise PowerCut(f"power cut at write {self.writes}")
        self.writes += 1
        if fill is not None:
            self.data[start:start + n] = bytes((fill,)) * n
        else:
            self.data[start:start + n] = buf_or_len

    def readblocks(self, block, buf, off=0):
        start = block * self.block_size + off
        buf[:] = memoryview(self.data)[start:start + len(buf)]

    def writeblocks(self, block, buf, off=None):
        # off=None is the simple protocol (whole blocks, erase implied); LittleFS passes an offset
        start = block * self.block_size + (off or 0)
        if off is None:
            self._op(start, len(buf), 0xFF)
        self._op(start, buf, None)

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.blocks
        if op == 5:  # block size
            return self.block_size
        if op == 6:  # erase one block
            self._op(arg * self.block_size, self.block_size, 0xFF)
            return 0
        return 0  # 1 init, 2 deinit, 3 sync: nothing to do in RAM


def fresh_root(name="t", blocks=64):
    """An empty directory for a store: on MicroPython a new LittleFS on a RAM block device mounted at
    /flash (the real filesystem of the token); on CPython a temporary directory."""
    import sys

    if sys.implementation.name != "micropython":
        import tempfile

        return tempfile.mkdtemp() + "/" + name
    import vfs

    try:
        vfs.umount("/flash")
    except OSError:
        pass
    dev = RAMBlockDev(blocks=blocks)
    vfs.VfsLfs2.mkfs(dev)
    vfs.mount(vfs.VfsLfs2(dev), "/flash")
    return "/flash/" + name


class FileBlockDev:
    """The same protocol over a host file (MicroPython unix port): a flash that costs no heap, for heap tests."""

    def __init__(self, path, blocks, block_size=4096):
        self.block_size = block_size
        self.blocks = blocks
        self.f = open(path, "w+b")  # noqa: SIM115 (open as long as the device is)
        erased = b"\xff" * block_size
        for _ in range(blocks):
            self.f.write(erased)
        self.f.flush()

    def readblocks(self, block, buf, off=0):
        self.f.seek(block * self.block_size + off)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, off=None):
        self.f.seek(block * self.block_size + (off or 0))
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.blocks
        if op == 5:
            return self.block_size
        return 0


def cut_runs(script, check, base, blocks, new_state, step=1, mount="/flash"):
    """Power-cut every write: run script(mount, state) on a copy of the image `base`, cut after 0, step,
    2 x step ... writes, reboot (mount what the flash holds) and collect check(mount, state) -> problems,
    until the script finishes before its cut. Prints each problem; returns (cuts, failures, the script's
    total writes, the last run's state)."""
    import gc

    import vfs

    fails = n = c = 0
    while True:
        dev = RAMBlockDev(blocks=blocks, data=bytearray(base), cut_after=c)
        vfs.mount(vfs.VfsLfs2(dev), mount)
        state = new_state()
        try:
            script(mount, state)
        except PowerCut:
            pass
        except OSError:  # LittleFS turns the block device's exception into EIO
            if not dev.dead:
                raise
        gc.collect()
        vfs.umount(mount)
        vfs.mount(vfs.VfsLfs2(RAMBlockDev(blocks=blocks, data=bytearray(dev.data))), mount)
        try:
            problems = check(mount, state)
        finally:
            vfs.umount(mount)
        n += 1
        for p in problems:
            print("FAIL cut after %d writes: %s" % (c, p))
            fails += 1
        if not dev.dead:  # the script finished before the cut: every point was tried
            return n, fails, dev.writes, state
        c += step
        gc.collect()
