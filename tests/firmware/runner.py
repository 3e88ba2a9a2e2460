# Firmware test runner for the MicroPython unix port (no unittest or pytest there).
# Usage: micropython tests/firmware/runner.py [test_module ...]
# Runs every function named test_* in each module; prints one line per failure and ends with
# "N passed, M failed". Exit status 1 when anything failed.
import gc
import os
import sys


def _modules(argv):
    if len(argv) > 1:
        return argv[1:]
    here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
    names = [f[:-3] for f in os.listdir(here) if f.startswith("test_") and f.endswith(".py")]
    names.sort()
    return names


def main():
    passed = failed = 0
    for name in _modules(sys.argv):
        mod = __import__(name)
        tests = [k for k in dir(mod) if k.startswith("test_")]
        tests.sort()
        for t in tests:
            gc.collect()  # each test starts on a compacted heap: big buffers need contiguous room
            try:
                getattr(mod, t)()
                passed += 1
            except Exception as e:  # report and go on: one failure must not hide the others
                failed += 1
                print("FAIL %s.%s: %s: %s" % (name, t, type(e).__name__, e))
                sys.print_exception(e)
        print("%s: %d tests" % (name, len(tests)))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


main()
