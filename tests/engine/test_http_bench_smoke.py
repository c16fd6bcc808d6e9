"""Smoke run of bench/engine_throughput.py on the engine only."""

from __future__ import annotations

import importlib.util
import os
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


def test_split_evenly_spreads_remainder(bench):
    assert bench.split_evenly(5, 2) == [3, 2]
    assert bench.split_evenly(4, 4) == [1, 1, 1, 1]
    assert bench.split_evenly(7, 3) == [3, 2, 2]


def test_setup_split_shares_totals(bench):
    setup = bench.ClientSetup(in_flight=500, pollers=16, processes=3)

    shares = setup.split("http://127.0.0.1:1", executions=1000, prefix="s0")

    assert sum(share.executions for share in shares) == 1000
    assert sum(share.in_flight for share in shares) == 500
    assert sum(share.pollers for share in shares) == 16
    assert [share.starters for share in shares] == [2, 1, 1]
    task_lists = {share.decision_task_list for share in shares}
    assert len(task_lists) == 3
    workflow_ids = {share.workflow_id(0) for share in shares}
    assert len(workflow_ids) == 3


def test_setup_split_rejects_empty_share(bench):
    setup = bench.ClientSetup(in_flight=1, pollers=16, processes=2)

    with pytest.raises(ValueError, match="in-flight executions"):
        setup.split("http://127.0.0.1:1", executions=10, prefix="s0")


def test_own_process_cpu_is_counted(bench):
    assert bench.process_tree_cpu_seconds(os.getpid()) > 0
    assert bench.machine_busy_cpu_seconds() > 0


@pytest.mark.slow
def test_bench_runs_two_client_processes(bench, tmp_path):
    setup = bench.ClientSetup(in_flight=5, pollers=2, processes=2)

    results = bench.measure_engine(
        tmp_path, stored_counts=[2], executions=5, setup=setup
    )

    result = results[0]
    latencies = result.latencies
    assert len(latencies["StartWorkflowExecution"]) == 5
    assert len(latencies["RespondDecisionTaskCompleted"]) == 10
    assert len(latencies["RespondActivityTaskCompleted"]) == 5
    assert result.failed == 0
    assert result.usage.server_cpu_seconds > 0
    assert result.usage.client_cpu_seconds > 0
    table = bench.format_table(results)
    assert "vwf engine" in table
    assert "client CPU ms/call" in table
