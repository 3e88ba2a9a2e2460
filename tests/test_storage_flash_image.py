"""A token's flash, written by the firmware on MicroPython's LittleFS, read back on the host.

The stores run on the MicroPython unix port on a LittleFS block device; its bytes are then read with
littlefs-python (host_tools.flash.fsimage.read_image, as for a flash dump of a token) and opened with the same
bzfw modules on CPython: the same days, bytes, confirmations, counters and keys, and every record decodes.
"""

import binascii
import json

from conftest import run_micropython

from bzfw import records
from bzfw.keystore import KeyStore
from bzfw.logstore import LogStore
from host_tools.flash.fsimage import read_image

BLOCKS = 64
CAP = 200 * 1024

SCRIPT = """
import binascii, json, os, vfs
from ramblockdev import RAMBlockDev
import storage_busyday as b
from bzfw.logstore import LogStore
from bzfw.keystore import KeyStore

dev = RAMBlockDev(blocks={blocks})
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/flash")
DAY_MS = 86400000
for i in range(3):  # three busy mornings; the store and key store as the app keeps them
    b.run("/flash", n_dev=20, hours=2, capacity={cap}, start_ms=(20415 + i) * DAY_MS + 7 * 3600000,
          urandom=os.urandom)
s = LogStore("/flash/log", {cap})
d0 = s.days()[0]
s.confirm(d0, s.size(d0))
s.confirm(s.days()[1], 24 * 5)
s.purge(20415 + 21)  # the first day is now past 21 days
k = KeyStore("/flash/keys", os.urandom)
out = {{"days": s.days(), "sizes": [s.size(d) for d in s.days()], "confirmed": [s.confirmed(d) for d in s.days()],
        "stats": s.stats, "keys": {{}}}}
for d in k.days():
    out["keys"][str(d)] = binascii.hexlify(k.get(d)).decode()
vfs.umount("/flash")
with open({image!r}, "wb") as f:
    f.write(dev.data)
print(json.dumps(out))
"""


def test_firmware_flash_reads_the_same_on_the_host(tmp_path):
    image = tmp_path / "flash.img"
    proc = run_micropython(SCRIPT.format(blocks=BLOCKS, cap=CAP, image=str(image)), heap="8m")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    want = json.loads(proc.stdout.strip().splitlines()[-1])
    assert want["days"] == [20416, 20417] and want["stats"]["purged_days"] == 1

    files = read_image(image.read_bytes())
    root = tmp_path / "fs"
    for path, data in files.items():
        dst = root / path.lstrip("/")
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(data)
    assert sorted(p for p in files if p.startswith("/log/")) == ["/log/20416.log", "/log/20417.log", "/log/meta.json"]

    s = LogStore(str(root / "log"), CAP)
    assert s.days() == want["days"]
    assert [s.size(d) for d in s.days()] == want["sizes"]
    assert [s.confirmed(d) for d in s.days()] == want["confirmed"]
    assert s.stats == want["stats"]
    for d in s.days():
        data = s.read(d, 0, 1 << 30)
        recs = [records.decode(data[i:i + 24], d) for i in range(0, len(data), 24)]
        assert len(recs) >= 20 * 8 and all(r[0] == d for r in recs)  # 20 devices x 8 slots at least
    k = KeyStore(str(root / "keys"), lambda n: b"\x00" * n)
    assert {str(d): binascii.hexlify(k.get(d)).decode() for d in k.days()} == want["keys"]
    assert len(want["keys"]) == 3 and k.stats["bad_keys"] == 0
