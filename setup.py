"""Build script for the one part pyproject.toml cannot declare without an experimental setuptools table: the
optional C extension. Everything else (metadata, dependencies, extras, packages) is in pyproject.toml.

host_tools._sha_kernel derives Bluezone IDs for exposure matching in C (SHA-NI when the CPU has it). It is
optional: where no C compiler is present the build goes on without it and the pure-Python path (bzfw.ids)
runs instead."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("host_tools._sha_kernel", sources=["host_tools/_sha_kernel.c"], optional=True)])
