from tests.presence.conftest import NOW, online, registered

A, B, C = "1000@127.0.0.1", "1001@127.0.0.1", "1002@127.0.0.1"


def test_reservations_go_to_the_longest_idle_agent_first(store):
    online(store, agents=(A, B, C))
    for seq, agent in enumerate((A, B, C)):
        store.apply("fs1", registered(seq + 1, agent=agent, call_id=agent), NOW)
    held = {agent: None for agent in (A, B, C)}
    for agent in (A, B, C):
        held[agent] = store.reserve("sales", ["fs1"], NOW, 300)
    # B finishes first, then A: B has been idle longest
    store.release(held[B].token, NOW + 10, 0)
    store.release(held[A].token, NOW + 20, 0)

    first = store.reserve("sales", ["fs1"], NOW + 30, 30)
    second = store.reserve("sales", ["fs1"], NOW + 30, 30)

    assert (first.agent, second.agent) == (B, A)
    assert store.reserve("sales", ["fs1"], NOW + 30, 30) is None


def test_only_agents_on_usable_nodes_are_reserved_and_the_node_is_the_callers_choice(store):
    online(store, agents=(A,))
    online(store, node="fs2", agents=(A,))
    store.apply("fs1", registered(1, call_id="a"), NOW)
    store.apply("fs2", registered(1, call_id="b"), NOW)

    assert store.reserve("sales", ["fs3"], NOW, 30) is None
    assert store.reserve("sales", [], NOW, 30) is None
    assert store.reserve("sales", ["fs2", "fs1"], NOW, 30).node == "fs2"


def test_agent_of_another_group_or_disabled_is_not_reserved(store):
    online(store, agents=(A,))
    store.sync_agents({"sales": [(A, 0, False)], "support": [(B, 0, True)]}, NOW)
    store.apply("fs1", registered(1, agent=A, call_id="a"), NOW)
    store.apply("fs1", registered(2, agent=B, call_id="b"), NOW)

    assert store.reserve("sales", ["fs1"], NOW, 30) is None
    assert store.reserve("support", ["fs1"], NOW, 30).agent == B


def test_the_routable_agent_is_found_behind_many_offline_ones(store):
    agents = [f"{2000 + i}@127.0.0.1" for i in range(80)]
    online(store, agents=agents)
    store.apply("fs1", registered(1, agent=agents[70], call_id="only"), NOW)

    assert store.reserve("sales", ["fs1"], NOW, 30).agent == agents[70]
    assert store.reserve("sales", ["fs1"], NOW, 30) is None
