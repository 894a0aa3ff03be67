/* Polls the page's JSON snapshot every few seconds and redraws; never reloads the page. */
"use strict";

(function () {
  const { columnChart, barList } = window.SwitchboardCharts;
  const body = document.body;
  const url = body.dataset.url;
  const pollMs = Number(body.dataset.pollMs) || 1500;
  const status = document.getElementById("refresh-status");

  const LABELS = {
    pending: "Pending", queued: "Queued", dialing: "Dialing", retry_wait: "Waiting to retry",
    completed: "Completed", failed: "Failed", cancelled: "Cancelled", do_not_call: "Do not call",
    answered: "Answered", busy: "Busy", no_answer: "No answer", rejected: "Rejected",
    invalid_number: "Invalid number", node_failure: "Node failure", agent_unavailable: "No agent",
    abandoned: "Abandoned", config_error: "Configuration error", in_progress: "In progress",
  };

  function setText(id, value) {
    const el = document.getElementById(id);
    if (el) el.textContent = value;
  }

  function percent(rate) {
    return rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(1)}%`;
  }

  function minuteLabel(iso) {
    const d = new Date(iso);
    return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  }

  function pill(text, cls) {
    const span = document.createElement("span");
    span.className = `pill ${cls || text}`;
    span.textContent = text;
    return span;
  }

  function cell(row, content) {
    const td = document.createElement("td");
    if (content instanceof Node) td.appendChild(content);
    else td.textContent = content === null || content === undefined ? "–" : String(content);
    row.appendChild(td);
  }

  function loadBar(sessions, max) {
    const wrap = document.createElement("span");
    const bar = document.createElement("span");
    bar.className = "load";
    const fill = document.createElement("span");
    const frac = sessions === null || !max ? 0 : Math.min(1, sessions / max);
    fill.style.width = `${Math.round(frac * 100)}%`;
    bar.appendChild(fill);
    wrap.appendChild(bar);
    wrap.appendChild(document.createTextNode(sessions === null ? "–" : `${sessions} / ${max}`));
    return wrap;
  }

  function renderCampaign(data) {
    setText("campaign-name", data.campaign.name);
    setText("campaign-status", data.campaign.status_label);
    setText("targets-total", data.targets.total.toLocaleString());
    setText("attempts-total", data.attempts.total.toLocaleString());
    setText("in-progress", data.attempts.in_progress.toLocaleString());
    setText("answer-rate", percent(data.answer_rate));
    setText("abandon-rate", `${percent(data.abandon_rate)} (${data.abandoned})`);
    const wait = data.answer_to_agent_ms;
    setText("answer-to-agent", wait.p50 === null ? "– (no call connected yet)" : `${wait.p50} / ${wait.p95} ms`);
    setText("agent-time-saved", data.agent_seconds_saved ? `${Math.round(data.agent_seconds_saved / 60)} min (${data.agent_seconds_saved} s)` : "–");
    setText("cause-window", data.hangup_cause_window_minutes);
    setText("group-available", `${data.agents.available} / ${data.agents.registered}`);
    setText("group-on-call", data.agents.on_call);
    barList(document.getElementById("chart-states"),
      Object.entries(data.targets.by_state).map(([key, value]) => ({ key, label: LABELS[key] || key, value })),
      { title: "Targets by state", keepZero: true });
    columnChart(document.getElementById("chart-rate"),
      data.calls_per_minute.map((p) => ({ label: minuteLabel(p.minute), value: p.calls })),
      { title: "Calls placed per minute" });
    barList(document.getElementById("chart-outcomes"),
      Object.entries(data.attempts.by_outcome).map(([key, value]) => ({ key, label: LABELS[key] || key, value })),
      { title: "Outcomes", empty: "no calls yet" });
    barList(document.getElementById("chart-causes"),
      data.hangup_causes.map((c) => ({ key: c.cause, label: c.cause, value: c.calls })),
      { title: "Hangup causes", empty: "no hangups yet" });
  }

  function renderSystem(data) {
    setText("live-calls", data.live_calls.toLocaleString());
    setText("answer-rate", percent(data.answer_rate_recent));
    setText("running-campaigns", data.campaigns.by_status.running);
    const agents = data.cluster.agents;
    setText("agents-registered", `${agents.registered} / ${agents.enabled}`);
    setText("agents-available", agents.available);
    setText("agents-on-call", agents.on_call);
    const listener = data.cluster.listener;
    setText("nodes-up", `${listener.nodes_up} / ${listener.nodes}`);
    const listenerEl = document.getElementById("listener-state");
    if (listenerEl) listenerEl.replaceChildren(pill(listener.state));
    const consumer = data.cluster.results_consumer;
    const consumerEl = document.getElementById("consumer-state");
    if (consumerEl && consumer) {
      consumerEl.replaceChildren(pill(consumer.state, consumer.state === "running" ? "up" : "down"));
      setText("consumer-backlog", `backlog ${(consumer.lag || 0) + consumer.pending}`);
    }
    columnChart(document.getElementById("chart-rate"),
      data.calls_ended_per_minute.map((p) => ({ label: minuteLabel(p.minute), value: p.calls })),
      { title: "Calls ended per minute", color: "#16a34a" });

    const nodes = document.querySelector("#nodes tbody");
    nodes.replaceChildren(...data.cluster.nodes.map((node) => {
      const row = document.createElement("tr");
      row.dataset.node = node.name;
      cell(row, node.name);
      cell(row, node.address);
      const state = pill(node.state);
      if (node.lost_reason) state.title = node.lost_reason;
      cell(row, state);
      cell(row, loadBar(node.sessions, node.max_sessions));
      cell(row, node.cps === null || node.cps === undefined ? null : `${node.cps} / ${node.max_cps}`);
      cell(row, node.agents_online);
      cell(row, node.agents_available);
      cell(row, node.listener ? node.listener : pill("none", "down"));
      cell(row, node.silent ? pill(node.last_event_seconds_ago === null ? "never" :
        `silent ${Math.round(node.last_event_seconds_ago)} s`, "down") :
        `${Math.round(node.last_event_seconds_ago)} s ago`);
      return row;
    }));

    const problems = data.problems || { agents: [], trunks: [] };
    const cdrNodes = problems.cdr_nodes || [];
    document.getElementById("cdr-warning").hidden = cdrNodes.length === 0;
    document.getElementById("cdr-nodes").replaceChildren(...cdrNodes.map((n) => {
      const item = document.createElement("li");
      const name = document.createElement("strong");
      name.textContent = n.node;
      item.append(name, `: ${n.reason}. Risk: ${n.risk}. Fix: ${n.fix}.`);
      return item;
    }));
    document.querySelector("#agent-problems tbody").replaceChildren(...problems.agents.map((a) => {
      const row = document.createElement("tr");
      cell(row, a.name);
      cell(row, `${a.sip_user}@${a.sip_domain}`);
      cell(row, a.penalty_reason || null);
      cell(row, a.penalty_until ? new Date(a.penalty_until).toLocaleTimeString() : null);
      cell(row, a.no_answer_count);
      cell(row, a.misconfigured ? pill(a.misconfigured, "down") : null);
      return row;
    }));
    document.querySelector("#trunk-problems tbody").replaceChildren(...problems.trunks.map((t) => {
      const row = document.createElement("tr");
      cell(row, t.name);
      cell(row, t.gateway);
      cell(row, t.nodes.map((n) => `${n.node}: ${n.cause}`).join(", "));
      return row;
    }));

    function campaignRow(c, withLiveCalls) {
      const row = document.createElement("tr");
      const link = document.createElement("a");
      link.href = `campaigns/${c.id}/`;
      link.textContent = c.name;
      cell(row, link);
      cell(row, pill(c.status_label, c.status));
      if (withLiveCalls) cell(row, c.live_calls);
      return row;
    }
    document.querySelector("#campaigns tbody").replaceChildren(
      ...data.campaigns.active.map((c) => campaignRow(c, true)));
    document.querySelector("#recent-campaigns tbody").replaceChildren(
      ...data.campaigns.recent.map((c) => campaignRow(c, false)));
    setText("campaigns-by-status", Object.entries(data.campaigns.by_status)
      .filter(([, n]) => n > 0).map(([s, n]) => `${s}: ${n}`).join(" · ") || "no campaigns yet");
  }

  const render = document.getElementById("campaign-name") ? renderCampaign : renderSystem;

  async function poll() {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.status === 401) { window.location.reload(); return; }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      render(await response.json());
      status.textContent = `updated ${new Date().toLocaleTimeString()}`;
      status.classList.remove("stale");
    } catch (error) {
      status.textContent = `stale: ${error.message}`;
      status.classList.add("stale");
    } finally {
      setTimeout(poll, pollMs);
    }
  }
  poll();
})();
