/* The supervisor's floor: agents and live calls tables, campaign health, history charts.
   Polls JSON (never reloads), ticks durations every second between polls, sorts on a click,
   and posts supervisor actions with the page's CSRF token. Text is set with textContent only. */
"use strict";

(function () {
  const { columnChart, barList } = window.SwitchboardCharts;
  const body = document.body;
  const floorUrl = body.dataset.floorUrl;
  const historyUrl = body.dataset.historyUrl;
  const pollMs = Number(body.dataset.pollMs) || 1500;
  const mayAct = body.dataset.mayAct === "1";
  const mayHangup = body.dataset.mayHangup === "1";
  const csrf = (document.querySelector("meta[name=csrf-token]") || {}).content || "";
  const sorting = { agents: { key: "state", dir: 1 }, calls: { key: "duration_seconds", dir: -1 } };
  const STATE_RANK = ["misconfigured", "phone_offline", "on_call", "ringing", "reserved", "wrapup",
                      "paused", "available", "logged_out", "disabled"];
  let last = null, fetchedAt = 0;

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = String(m).padStart(h ? 2 : 1, "0"), ss = String(r).padStart(2, "0");
    return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
  }
  function percent(rate) {
    return rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(1)}%`;
  }
  function td(row, content, cls) {
    const cell = document.createElement("td");
    if (content instanceof Node) cell.appendChild(content);
    else cell.textContent = content === null || content === undefined || content === "" ? "–" : String(content);
    if (cls) cell.className = cls;
    row.appendChild(cell);
    return cell;
  }
  function pill(text, cls) {
    const span = document.createElement("span");
    span.className = `pill ${cls}`;
    span.textContent = text;
    return span;
  }
  function elapsed() { return (Date.now() - fetchedAt) / 1000; }

  function sortRows(rows, table) {
    const { key, dir } = sorting[table];
    const value = (row) => {
      if (key === "state") return STATE_RANK.indexOf(row.state);
      if (key === "call") return row.call ? row.call.duration_seconds : -1;
      const v = row[key];
      return v === null || v === undefined ? -1 : v;
    };
    return [...rows].sort((a, b) => {
      const x = value(a), y = value(b);
      if (x < y) return -dir;
      if (x > y) return dir;
      return String(a.name || a.uuid).localeCompare(String(b.name || b.uuid));
    });
  }

  async function post(url, data) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(data),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(Object.values(answer).flat().join("; ") || `HTTP ${response.status}`);
    return answer;
  }

  function say(text, bad) {
    const el = document.getElementById("floor-message");
    if (!el) return;
    el.textContent = text;
    el.className = bad ? "message bad" : "message";
  }

  function agentActions(agent) {
    const wrap = document.createElement("span");
    const act = (action, label, needsReason) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.dataset.action = action;
      button.addEventListener("click", async () => {
        let reason = "";
        if (needsReason || action === "logout") {
          reason = window.prompt(`${label} ${agent.name}: reason${needsReason ? "" : " (optional)"}`, "");
          if (reason === null) return;
        }
        try {
          await post(`/dashboard/agents/${agent.id}/intent/`, { action, reason });
          say(`${agent.name}: ${label.toLowerCase()} done`);
          poll(true);
        } catch (error) { say(`${agent.name}: ${error.message}`, true); }
      });
      wrap.appendChild(button);
    };
    if (agent.state === "paused" || agent.state === "logged_out") act("resume", "Resume", false);
    else act("pause", "Pause", true);
    if (agent.state !== "logged_out") act("logout", "Log out", false);
    return wrap;
  }

  // Rows are updated in place, keyed by agent or call: a poll changes the cells that changed and
  // never moves a row under the pointer. New rows go at the end; the order is recomputed only
  // when a header is clicked (resort) or on the first render.
  const resort = { agents: true, calls: true };
  function patchRows(tbody, table, items, keyOf, build) {
    const existing = new Map([...tbody.rows].map((row) => [row.dataset.key, row]));
    const wanted = new Set(items.map(keyOf));
    for (const [key, row] of existing) if (!wanted.has(key)) row.remove();
    const ordered = resort[table] ? sortRows(items, table) : items;
    for (const item of ordered) {
      const fresh = build(item);
      fresh.dataset.key = keyOf(item);
      const row = existing.get(fresh.dataset.key);
      if (!row || resort[table]) { tbody.appendChild(row || fresh); if (!row) continue; }
      Object.assign(row.dataset, fresh.dataset);
      [...fresh.cells].forEach((cell, index) => {
        const old = row.cells[index];
        if (!old) row.appendChild(cell);
        else if (old.textContent !== cell.textContent || old.className !== cell.className) {
          row.replaceChild(cell, old);
        }
      });
    }
    resort[table] = false;
  }

  function renderAgents(rows) {
    const tbody = document.querySelector("#floor-agents tbody");
    if (!tbody) return;
    const extra = elapsed();
    patchRows(tbody, "agents", rows, (a) => a.agent, (a) => {
      const row = document.createElement("tr");
      row.dataset.agent = a.agent;
      row.dataset.state = a.state;
      td(row, a.name).title = a.agent;
      td(row, a.group);
      td(row, a.node);
      const contact = td(row, a.transport ? `${a.transport}${a.user_agent ? " · " + a.user_agent : ""}` : "");
      contact.className = "small";
      td(row, pill(a.state_label, a.state), "state");
      td(row, a.seconds_in_state === null ? null : duration(a.seconds_in_state + extra), "ticking");
      td(row, a.call ? `${a.call.number}${a.call.extension ? " ext " + a.call.extension : ""} · ${a.call.campaign} · ${duration(a.call.duration_seconds + extra)}` : "");
      td(row, a.calls_today);
      td(row, duration(a.talk_seconds_today));
      if (mayAct) td(row, agentActions(a));
      return row;
    });
  }

  function renderCalls(data) {
    const tbody = document.querySelector("#floor-calls tbody");
    if (!tbody) return;
    const extra = elapsed();
    const count = document.getElementById("calls-count");
    if (count) count.textContent = data.calls_total > data.calls_shown
      ? `${data.calls_total.toLocaleString()} live (the ${data.calls_shown} longest shown)`
      : `${data.calls_total.toLocaleString()} live`;
    patchRows(tbody, "calls", data.calls, (c) => c.uuid, (c) => {
      const row = document.createElement("tr");
      row.dataset.uuid = c.uuid;
      td(row, c.number);
      td(row, c.extension);
      td(row, c.campaign);
      td(row, c.node);
      td(row, c.agent);
      td(row, pill(c.state_label, c.state), "state");
      td(row, duration(c.duration_seconds + extra), "ticking duration");
      if (mayHangup) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = "Hang up";
        button.addEventListener("click", async () => {
          if (!window.confirm(`Hang up the call to ${c.number}?`)) return;
          try { await post(`/dashboard/calls/${c.uuid}/hangup/`, {}); say(`hanging up ${c.number}`); }
          catch (error) { say(`${c.number}: ${error.message}`, true); }
        });
        td(row, button);
      }
      return row;
    });
  }

  function renderHealth(h) {
    const set = (id, value) => { const el = document.getElementById(id); if (el) el.textContent = value; };
    set("health-dial-level", h.dial_level === null ? "–" : h.dial_level.toFixed(2));
    set("health-in-flight", `${h.calls_in_flight} calls / ${h.agents_available} available`);
    if (h.pacing) {
      const d = h.pacing.decision;
      const level = d && d.level !== null ? ` · pacer level ${d.level.toFixed(2)} (${d.calls} placed, ${d.in_flight} in flight)` : "";
      set("health-pacing", `${h.pacing.dial_mode} · ceiling ${h.pacing.ceiling_pct.toFixed(2)} % (${h.pacing.formula})${level}`);
      set("health-pacing-why", h.pacing.why);
    }
    set("health-answer-rate", percent(h.answer_rate));
    set("health-contact-rate", percent(h.contact_rate));
    set("health-per-hour", h.attempts_last_hour.toLocaleString());
    const blocked = document.getElementById("health-blocked");
    if (blocked) {
      blocked.textContent = h.blocked ? h.blocked.text : "dialling";
      blocked.className = h.blocked ? `blocked ${h.blocked.reason}` : "dialling";
    }
  }

  function render(data) {
    last = data;
    fetchedAt = Date.now();
    renderAgents(data.agents);
    renderCalls(data);
    if (data.health) renderHealth(data.health);
    const states = document.getElementById("agents-by-state");
    if (states) states.textContent = Object.entries(data.agents_by_state)
      .map(([k, n]) => `${k.replace("_", " ")}: ${n}`).join(" · ") || "no agents";
  }

  let timer = null;
  async function poll(once) {
    if (!floorUrl) return;
    try {
      const response = await fetch(floorUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) render(await response.json());
    } catch (error) { say(`stale: ${error.message}`, true); }
    if (!once) timer = setTimeout(poll, pollMs);
  }

  function hookSorting() {
    for (const [table, id] of [["agents", "floor-agents"], ["calls", "floor-calls"]]) {
      document.querySelectorAll(`#${id} th[data-sort]`).forEach((th) => {
        th.addEventListener("click", () => {
          const key = th.dataset.sort;
          sorting[table] = { key, dir: sorting[table].key === key ? -sorting[table].dir : 1 };
          resort[table] = true;
          if (last) { renderAgents(last.agents); renderCalls(last); }
        });
      });
    }
  }

  async function loadHistory() {
    if (!historyUrl) return;
    const picker = document.getElementById("history-step");
    const step = picker ? picker.value : "hour";
    const sep = historyUrl.includes("?") ? "&" : "?";
    try {
      const response = await fetch(`${historyUrl}${sep}step=${step}`, { credentials: "same-origin" });
      if (!response.ok) return;
      const data = await response.json();
      const label = (iso) => {
        const d = new Date(iso);
        return step === "day" ? `${d.getMonth() + 1}/${d.getDate()}` : `${String(d.getHours()).padStart(2, "0")}h`;
      };
      const chart = (id, key, title, color, format) => {
        const el = document.getElementById(id);
        if (el) columnChart(el, data.points.map((p) => ({ label: label(p.start), value: p[key] })),
          { title, color, format, empty: "no calls in this period" });
      };
      chart("history-attempts", "attempts", "Attempts", "#2563eb");
      chart("history-answers", "answers", "Answers", "#16a34a");
      chart("history-contacts", "contacts", "Contacts (targets reached)", "#0d9488");
      chart("history-abandons", "abandons", "Abandons", "#dc2626");
      chart("history-talk", "talk_seconds", "Talk time", "#7c3aed", (s) => `${Math.round(s / 60)}m`);
      const disp = document.getElementById("history-dispositions");
      if (disp) barList(disp, data.dispositions.map((d) => ({ key: d.code, label: d.label, value: d.calls })),
        { title: "Dispositions", empty: "no dispositions in this period" });
    } catch (error) { /* the next load retries */ }
  }

  hookSorting();
  poll();
  setInterval(() => { if (last) { renderAgents(last.agents); renderCalls(last); } }, 1000);
  const picker = document.getElementById("history-step");
  if (picker) picker.addEventListener("change", loadHistory);
  loadHistory();
  setInterval(loadHistory, 60000);
})();
