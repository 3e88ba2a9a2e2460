"""Writing regions of flash through esptool's Python API (not its CLI), with our progress callback.

esptool's own messages are collected (for the one-line error a failure gives) instead of printed; its
progress bar calls reach our `progress(done, total, label)` callback. Every region is verified by esptool
(flash MD5 against the data) before the next starts.
"""

from dataclasses import dataclass, field

from host_tools.errors import BzError, LinkError
from host_tools.progress import ProgressFn, no_progress

ROM_BAUD = 115200


@dataclass
class Region:
    offset: int
    data: bytes
    label: str


@dataclass
class FlashResult:
    chip: str = ""
    mac: str = ""
    flash_size: str = ""
    stub: bool = False
    written: list[dict] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


def _make_logger(result: FlashResult, progress: ProgressFn, label: list[str], base: list[int], total: int):
    from esptool.logger import TemplateLogger

    class Collect(TemplateLogger):
        def print(self, *args, **kwargs):
            text = " ".join(str(a) for a in args).strip()
            if text:
                result.log.append(text)

        def note(self, message):
            result.log.append(f"note: {message}")

        def warning(self, message):
            result.log.append(f"warning: {message}")

        def error(self, message):
            result.log.append(f"error: {message}")

        def stage(self, finish=False):
            pass

        def progress_bar(self, cur_iter, total_iters, prefix="", suffix="", bar_length=30):
            # esptool counts compressed bytes of the current region; scale onto this region's share
            share = base[1]
            done = base[0] + (share * cur_iter // total_iters if total_iters else share)
            progress(done, total, label[0])

        def set_verbosity(self, verbosity):
            pass

    return Collect()


def _one_line(e: BaseException) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return lines[0] if lines else type(e).__name__


def write_regions(
    port: str,
    chip: str,
    regions: list[Region],
    *,
    baud: int = 460800,
    before: str = "default-reset",
    after: str = "hard-reset",
    stub: bool = True,
    progress: ProgressFn = no_progress,
) -> FlashResult:
    """Connect to the ROM loader on `port`, write and verify every region, then reset as `after` says.

    Raises LinkError when the port cannot be opened or the chip does not answer (exit 4), BzError when a
    write or verification fails (exit 1).
    """
    import serial
    from esp_pylib.logger import EspLog
    from esptool.cmds import attach_flash, connect_esp, detect_flash_size, reset_chip, run_stub, write_flash
    from esptool.logger import log
    from esptool.util import FatalError

    result = FlashResult()
    total = sum(len(r.data) for r in regions)
    label = [""]
    base = [0, 0]
    previous = EspLog.instance
    log.set_logger(_make_logger(result, progress, label, base, total))
    esp = None
    try:
        try:
            esp = connect_esp(port=port, chip=chip, initial_baud=ROM_BAUD, before=before, connect_attempts=3)
        except (FatalError, serial.SerialException, OSError) as e:
            raise LinkError(
                f"no {chip} bootloader answered on {port}: {_one_line(e)}",
                hint="check the cable and port; on boards without auto-reset hold BOOT while plugging in",
            ) from e
        try:
            result.chip = esp.get_chip_description()
        except (FatalError, AttributeError, NotImplementedError):
            result.chip = esp.CHIP_NAME
        try:
            result.mac = ":".join(f"{b:02x}" for b in esp.read_mac())
        except (FatalError, AttributeError, NotImplementedError, TypeError):
            result.mac = ""
        step = "start the flasher stub"
        try:
            if stub:
                esp = run_stub(esp)
                result.stub = True
            if baud != ROM_BAUD:
                step = f"switch to {baud} baud"
                esp.change_baud(baud)
            step = "attach the flash"
            attach_flash(esp)
            result.flash_size = detect_flash_size(esp) or ""
            for r in regions:
                step = f"write {r.label} at 0x{r.offset:X}"
                label[0] = r.label
                base[1] = len(r.data)
                write_flash(esp, [(r.offset, r.data)], flash_size="keep")
                base[0] += len(r.data)
                result.written.append({"label": r.label, "offset": r.offset, "size": len(r.data)})
                progress(base[0], total, r.label)
            step = f"reset ({after})"
            reset_chip(esp, after)
        except (serial.SerialException, OSError) as e:
            raise LinkError(f"link to {port} lost while trying to {step}: {_one_line(e)}") from e
        except FatalError as e:
            raise BzError(f"could not {step}: {_one_line(e)}",
                          hint="run the same command again: everything is rewritten and verified") from e
    finally:
        if esp is not None:
            try:
                esp._port.close()
            except Exception:  # closing a port that is already gone must not hide the real error
                pass
        EspLog.instance = previous
    return result
