"""Each presence script is a .lua file of its own, read as a package resource, and compiles in
Redis with its helpers; no file is left unused and no script is missing its file."""

from __future__ import annotations

from importlib import resources

import pytest
import redis

from telephony import presence_lua

LUA_DIR = resources.files("telephony").joinpath("lua", "presence")


def test_every_script_has_its_own_file_and_every_file_is_used():
    files = {entry.name for entry in LUA_DIR.iterdir() if entry.name.endswith(".lua")}
    helpers = {"_common.lua", "_agent.lua"}
    assert files == {f"{name}.lua" for name in presence_lua.SCRIPTS} | helpers
    assert len(presence_lua.SCRIPTS) == 17


def test_a_script_starts_with_the_helpers_its_first_line_names():
    reserve = presence_lua.source("reserve")
    common = LUA_DIR.joinpath("_common.lua").read_text()
    agent = LUA_DIR.joinpath("_agent.lua").read_text()
    assert reserve.startswith(common + agent + "-- uses: _common.lua _agent.lua\n")
    assert presence_lua.source("remove").startswith(common + "-- uses: _common.lua\n")


def test_an_unknown_script_is_refused_by_name():
    with pytest.raises(KeyError, match="no presence script 'RESERVE'"):
        presence_lua.source("RESERVE")


@pytest.mark.integration
@pytest.mark.parametrize("name", presence_lua.SCRIPTS)
def test_each_script_compiles_in_redis(redis_client: redis.Redis, name: str):
    sha = redis_client.script_load(presence_lua.source(name))
    assert redis_client.script_exists(sha) == [True]
