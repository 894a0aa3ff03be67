"""bench/export.py --quick prints every figure bench/figures.toml documents."""

import pytest

from tests.bench.conftest import BENCH_TIMEOUT, assert_prints_every_figure


@pytest.mark.timeout(BENCH_TIMEOUT + 120)
def test_export_bench_prints_its_figures(bench_run):
    assert_prints_every_figure("export", bench_run("export"))
