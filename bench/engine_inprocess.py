"""CPU time of the engine itself per call, without HTTP or boto3.

One thread drives executions through :meth:`Engine.handle` on a SQLite file:
StartWorkflowExecution, two decision tasks and one activity task, 7 calls
each, as in ``engine_throughput.py``. It reports the process CPU time per
call after a warm-up.

    .venv/bin/python bench/engine_inprocess.py --executions 1000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import engine_throughput as workload  # noqa: E402

CALLS_PER_EXECUTION = 7


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--warm-up", type=int, default=50)
    args = parser.parse_args(argv)

    from vwf.engine import Engine, connect

    with tempfile.TemporaryDirectory(prefix="vwf-bench-") as workdir:
        engine = Engine(f"sqlite:///{Path(workdir) / 'engine.db'}")
        engine.start()
        try:
            workload.register(connect(engine))
            for number in range(args.warm_up):
                workload.run_one_inprocess(engine, f"warm-up-{number}")

            started = time.process_time()
            for number in range(args.executions):
                workload.run_one_inprocess(engine, f"measured-{number}")
            seconds = time.process_time() - started
        finally:
            engine.close()

    calls = args.executions * CALLS_PER_EXECUTION
    print(f"{args.executions} executions: {seconds / calls * 1000:.3f} ms CPU per call")


if __name__ == "__main__":
    main()
