"""Emulated FreeSWITCH clusters on free loopback ports, torn down after each test."""

from __future__ import annotations

import pytest

from emulator import Cluster
from tests.emulator.eslraw import RawEsl


@pytest.fixture
def make_cluster():
    """Factory: make_cluster(nodes=1, **node_options) -> a started Cluster."""
    started: list[Cluster] = []

    def make(nodes: int = 1, **options) -> Cluster:
        options.setdefault("heartbeat_interval", 60.0)
        options.setdefault("sweep_interval", 60.0)
        cluster = Cluster(nodes=nodes, password="ClueCon", esl_port=0, **options).start()
        started.append(cluster)
        return cluster

    yield make
    for cluster in started:
        cluster.stop()


@pytest.fixture
def cluster(make_cluster) -> Cluster:
    """One node, slow timers (tests that need HEARTBEATs or sweeps make their own)."""
    return make_cluster()


@pytest.fixture
def esl(cluster):
    """Factory for authenticated raw connections to fs1 (closed afterwards)."""
    conns: list[RawEsl] = []

    def connect(node: str = "fs1", login: bool = True) -> RawEsl:
        conn = RawEsl(cluster.ports[node])
        conns.append(conn)
        if login:
            conn.login()
        return conn

    yield connect
    for conn in conns:
        conn.close()


@pytest.fixture
def esl_on():
    """Factory for authenticated raw connections to any node of any cluster."""
    conns: list[RawEsl] = []

    def connect(cluster: Cluster, node: str) -> RawEsl:
        conn = RawEsl(cluster.ports[node])
        conns.append(conn)
        conn.login()
        return conn

    yield connect
    for conn in conns:
        conn.close()
