# A tiny deterministic random source for the storage test scripts (same sequence on MicroPython and CPython,
# no allocation per draw).


class Rng:
    def __init__(self, seed):
        self.x = seed

    def next(self, n):
        self.x = (self.x * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.x >> 8) % n
