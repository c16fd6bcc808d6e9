"""Smoke run of bench/engine_throughput.py on the engine only."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "engine_throughput.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("engine_throughput", BENCH)
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up by name while the class body runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_bench_runs_five_executions(bench, tmp_path):
    results = bench.measure_engine(
        tmp_path, stored_counts=[2], executions=5, in_flight=5, pollers=2
    )

    latencies = results[0].latencies
    assert len(latencies["StartWorkflowExecution"]) == 5
    assert len(latencies["RespondDecisionTaskCompleted"]) == 10
    assert len(latencies["RespondActivityTaskCompleted"]) == 5
    assert "vwf engine" in bench.format_table(results)
