"""The hub's match as a spark-submit application: `spark-submit [spark options] submit.py --logs ... --out ...`.

Same arguments as `bztoken hub match` (the engine is Spark; the master, executors and memory come from
spark-submit). Its path: `python -c "import host_tools.hub.submit as m; print(m.__file__)"`.
"""

import sys

from host_tools.cli import main

if __name__ == "__main__":
    sys.exit(main(["hub", "match", "--engine", "spark", *sys.argv[1:]]))
