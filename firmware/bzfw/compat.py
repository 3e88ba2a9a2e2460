# Lets the firmware modules import on CPython too (the host imports them).
try:
    from micropython import const  # noqa: F401
except ImportError:  # CPython

    def const(x):  # type: ignore
        return x
