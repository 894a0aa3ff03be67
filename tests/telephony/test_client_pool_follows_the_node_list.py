"""A running worker's command pool follows the node list: added, changed and removed nodes."""

from __future__ import annotations

import dataclasses

import pytest

from emulator.cluster import Cluster
from telephony.client import CommandPool
from telephony.config import NodeConfig
from telephony.errors import AuthenticationError, ESLError

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster():
    with Cluster(nodes=2, control_port=None, heartbeat_interval=3600) as running:
        yield running


def _node(cluster, name: str, password: str = "ClueCon") -> NodeConfig:
    return NodeConfig(name, "127.0.0.1", cluster.ports[name], password)


def test_a_node_added_later_is_dialled_without_a_restart(cluster):
    pool = CommandPool([_node(cluster, "fs1")])
    try:
        with pytest.raises(ESLError, match="unknown node 'fs2'"):
            pool.api("fs2", "status")
        pool.update_nodes([_node(cluster, "fs1"), _node(cluster, "fs2")])
        assert pool.api("fs2", "status").startswith("UP 0 years")
        assert pool.nodes == ("fs1", "fs2")
    finally:
        pool.close_all()


def test_a_changed_node_reconnects_with_its_new_settings(cluster):
    fs1 = _node(cluster, "fs1")
    pool = CommandPool([fs1])
    try:
        assert pool.api("fs1", "status").startswith("UP")
        old = pool.connection("fs1")
        pool.update_nodes([dataclasses.replace(fs1, password="not-the-password")])
        assert not old.connected  # the connection made with the old settings is closed
        with pytest.raises(AuthenticationError):
            pool.api("fs1", "status")
    finally:
        pool.close_all()


def test_an_unchanged_node_keeps_its_connection(cluster):
    fs1 = _node(cluster, "fs1")
    pool = CommandPool([fs1])
    try:
        pool.api("fs1", "status")
        kept = pool.connection("fs1")
        pool.update_nodes([_node(cluster, "fs1")])
        assert pool.connection("fs1") is kept
    finally:
        pool.close_all()


def test_a_removed_node_is_closed_and_no_longer_used(cluster):
    pool = CommandPool([_node(cluster, "fs1"), _node(cluster, "fs2")])
    try:
        pool.api("fs2", "status")
        gone = pool.connection("fs2")
        pool.update_nodes([_node(cluster, "fs1")])
        assert not gone.connected
        with pytest.raises(ESLError, match="unknown node 'fs2'"):
            pool.api("fs2", "status")
    finally:
        pool.close_all()
