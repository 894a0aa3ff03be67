/* The agent's desk: polls its state, pops the target's data when a call connects, and sends
   the disposition (with notes, and a time for a call back). Text set with textContent only. */
"use strict";

(function () {
  const body = document.body;
  const url = body.dataset.url;
  const pollMs = Number(body.dataset.pollMs) || 1000;
  const csrf = document.querySelector("meta[name=csrf-token]").content;
  const $ = (id) => document.getElementById(id);
  let kinds = {}, shownAttempt = null;

  function duration(s) {
    s = Math.max(0, Math.floor(s));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  async function post(path, data) {
    const response = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(data),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(Object.values(answer).flat().join("; ") || `HTTP ${response.status}`);
    return answer;
  }

  function showTarget(target) {
    const pop = $("screen-pop");
    if (!target) { pop.hidden = true; return; }
    pop.hidden = false;
    $("pop-number").textContent = target.number;
    // Digits alone read as they are; with pauses, in words: "wait 0.5 s, press 187 (w187)".
    const plain = target.extension_words === `press ${target.extension}`;
    $("pop-extension").textContent = !target.extension ? "–"
      : plain ? target.extension : `${target.extension_words} (${target.extension})`;
    $("pop-reference").textContent = target.reference || "–";
    $("pop-timezone").textContent = target.timezone;
    const custom = $("pop-custom");
    custom.replaceChildren();
    for (const [key, value] of Object.entries(target.custom_data || {})) {
      const dt = document.createElement("dt"); dt.textContent = key;
      const dd = document.createElement("dd"); dd.textContent = typeof value === "string" ? value : JSON.stringify(value);
      custom.append(dt, dd);
    }
  }

  function showWrapup(w) {
    const panel = $("wrapup-panel");
    if (!w) { panel.hidden = true; shownAttempt = null; return; }
    panel.hidden = false;
    if (shownAttempt === w.attempt) return;  // keep what the agent is typing
    shownAttempt = w.attempt;
    $("dispose-attempt").value = w.attempt;
    $("wrapup-number").textContent = w.target.number + (w.target.extension ? `, then ${w.target.extension_words}` : "");
    $("wrapup-campaign").textContent = w.campaign;
    $("callback-zone").textContent = w.target.timezone;
    kinds = {};
    const select = $("dispose-code");
    // Nothing is preselected: a first empty choice, and the select is required.
    const none = document.createElement("option");
    none.value = ""; none.textContent = "— choose what became of the call —";
    select.replaceChildren(none, ...w.dispositions.map((d) => {
      kinds[d.code] = d.kind;
      const option = document.createElement("option");
      option.value = d.code; option.textContent = d.label;
      return option;
    }));
    select.value = w.disposition || "";
    // An empty list is no dead end: say why and who can fix it.
    $("dispose-empty").hidden = w.dispositions.length > 0;
    $("dispose-save").disabled = w.dispositions.length === 0;
    $("dispose-notes").value = w.notes || "";
    $("dispose-result").textContent = w.disposition ? "saved" : "";
    toggleCallback();
  }

  function toggleCallback() {
    $("callback-fields").hidden = kinds[$("dispose-code").value] !== "callback";
  }

  async function poll() {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.status === 401) { window.location.reload(); return; }
      const data = await response.json();
      $("agent-state").textContent = data.state_label;
      $("call-state").textContent = data.call ? data.call.state_label : "none";
      $("call-duration").textContent = data.call ? duration(data.call.duration_seconds) : "";
      showTarget(data.call && data.call.target);
      showWrapup(data.wrapup);
      $("refresh-status").textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      $("refresh-status").textContent = `stale: ${error.message}`;
    } finally { setTimeout(poll, pollMs); }
  }

  $("dispose-code") && $("dispose-code").addEventListener("change", toggleCallback);
  $("dispose-form") && $("dispose-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = { attempt: $("dispose-attempt").value, disposition: $("dispose-code").value,
                   notes: $("dispose-notes").value, same_agent: $("same-agent").checked };
    if (kinds[data.disposition] === "callback") data.callback_at = $("callback-at").value;
    try {
      const answer = await post("disposition/", data);
      $("dispose-result").textContent = answer.callback
        ? `saved: call back ${answer.callback.local.slice(0, 16).replace("T", " ")} ${answer.callback.timezone}` : "saved";
      $("dispose-result").className = "message";
    } catch (error) {
      $("dispose-result").textContent = error.message;
      $("dispose-result").className = "message bad";
    }
  });
  $("pause").addEventListener("click", async () => {
    // The group's pause codes as a list (data.json pause_codes); free text only without one.
    const select = $("pause-code");
    const reason = select && select.options.length ? select.value : window.prompt("Pause: reason", "Break");
    if (reason) await post("intent/", { action: "pause", reason }).catch(() => {});
  });
  $("resume").addEventListener("click", () => post("intent/", { action: "resume" }).catch(() => {}));
  poll();
})();
