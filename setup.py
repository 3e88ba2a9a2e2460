"""Build script for what pyproject.toml cannot declare without an experimental setuptools table: the optional C
extension, and the board definitions as package data. Everything else (metadata, dependencies, extras, packages)
is in pyproject.toml.

host_tools._sha_kernel derives Bluezone IDs for exposure matching in C (SHA-NI when the CPU has it). It is
optional: where no C compiler is present the build goes on without it and the pure-Python path (bzfw.ids)
runs instead.

hardware/boards/*.json (the board definitions and their schema) stay where the hardware folder keeps them, the one
source of truth; the build copies them into the package as host_tools/flash/board_defs/, so that an installed
bztoken knows its boards by name (host_tools.flash.boards looks there when there is no source tree)."""

from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py as _build_py

BOARDS_SRC = "hardware/boards"
BOARDS_PKG = "host_tools.flash.board_defs"  # host_tools.flash.boards.PACKAGED


class build_py(_build_py):
    """setuptools' build_py, with the boards as one more (package, src_dir, build_dir, filenames) of package data."""

    def _boards(self) -> tuple[str, str, str, list[str]]:
        files = sorted(p.name for p in Path(BOARDS_SRC).glob("*.json"))
        if not files:
            raise SystemExit(f"{BOARDS_SRC}: no board definitions to ship")
        return BOARDS_PKG, BOARDS_SRC, str(Path(self.build_lib, *BOARDS_PKG.split("."))), files

    def _get_data_files(self):
        return [*super()._get_data_files(), self._boards()]

    def get_data_files_without_manifest(self):
        return [*super().get_data_files_without_manifest(), self._boards()]


if __name__ == "__main__":  # as setuptools' build backend runs it (a test imports it for build_py)
    setup(
        cmdclass={"build_py": build_py},
        ext_modules=[Extension("host_tools._sha_kernel", sources=["host_tools/_sha_kernel.c"], optional=True)],
    )
