"""bench/figures.toml documents every benchmark, and each goal reads as a goal."""

from bench.figures import GOAL, REGISTRY, Figure, Spec, match, parse, registry
from tests.processes import ROOT

NOT_BENCHES = {"run.py", "figures.py"}


def test_every_bench_script_has_an_entry():
    scripts = {p.stem for p in (ROOT / "bench").glob("*.py")
               if not p.name.startswith("_") and p.name not in NOT_BENCHES}
    assert scripts == set(registry())


def test_every_entry_names_its_script_and_every_goal_parses():
    import tomllib

    data = tomllib.loads(REGISTRY.read_text())
    for bench, entry in data.items():
        assert entry["script"] == f"bench/{bench}.py"
        for spec in registry()[bench]:
            assert spec.goal is None or GOAL.match(spec.goal), (bench, spec.goal)
            assert (spec.goal is None) == (spec.source is None), (bench, spec.name)


def test_lines_are_read_as_name_value_unit_and_sizes_match_their_placeholder():
    out = "progress\nfloor_snapshot_ms_60_agents: 13.8 ms\nbad line: fast\nx_count: 3 calls\n"
    assert parse(out) == [Figure("floor_snapshot_ms_60_agents", 13.8, "ms"),
                          Figure("x_count", 3.0, "calls")]
    spec = Spec("floor", "floor_snapshot_ms_{agents}_agents", "ms", "<= 1000", "why")
    pairs, missing, extra = match([spec], parse(out))
    assert [(s.name, f.value) for s, f in pairs] == [("floor_snapshot_ms_{agents}_agents", 13.8)]
    assert missing == [] and extra == [Figure("x_count", 3.0, "calls")]
    assert spec.meets(999.0) is True and spec.meets(1000.5) is False


def test_a_figure_in_another_unit_or_missing_is_not_printed():
    spec = Spec("floor", "floor_snapshot_ms_{agents}_agents", "ms")
    _pairs, missing, extra = match([spec], parse("floor_snapshot_ms_60_agents: 13.8 s\n"))
    assert missing == [spec] and extra == [Figure("floor_snapshot_ms_60_agents", 13.8, "s")]
