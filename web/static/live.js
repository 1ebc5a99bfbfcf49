// Live pages: every element marked `data-live` (with an id) is refetched from the server when
// the Inbox stream says something changed, so new items and moving counts appear without a
// reload. What a person is typing is never thrown away: while a form inside a live region
// is being edited, the update waits and a note offers it.
(() => {
  "use strict";
  const regions = () => Array.from(document.querySelectorAll("[data-live][id]"));
  if (!regions().length || !window.EventSource || !window.fetch || !window.DOMParser) return;
  // Looked up each time: a decision made with htmx swaps the part of the page it is in.
  const noteOf = () => document.getElementById("live-note");
  let timer = null;
  let waiting = false;

  const fields = () =>
    regions().flatMap((region) => Array.from(region.querySelectorAll("input, textarea, select")));
  function editing() {
    const active = document.activeElement;
    if (active && active.closest("[data-live]") && active.matches("input:not([type=checkbox]), textarea, select")) {
      return true;
    }
    return fields().some((field) => {
      if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked && field.name !== "items";
      if (field.tagName === "SELECT") return Array.from(field.options).some((o) => o.selected !== o.defaultSelected);
      return field.type !== "hidden" && field.value !== field.defaultValue;
    });
  }

  function offer() {
    waiting = true;
    const note = noteOf();
    if (!note) return;
    note.hidden = false;
    note.textContent = "There are updates. ";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.textContent = "Show them (what you typed here is discarded)";
    button.addEventListener("click", () => refresh(true));
    note.appendChild(button);
  }

  // A decision sent with htmx is answered by a swap of its own: refetching meanwhile would
  // race it, so the refresh waits until that answer is in.
  let requests = 0;
  let afterRequests = false;
  document.addEventListener("htmx:beforeRequest", () => { requests += 1; });
  document.addEventListener("htmx:afterRequest", () => {
    requests = Math.max(0, requests - 1);
    if (!requests && afterRequests) {
      afterRequests = false;
      schedule();
    }
  });

  async function refresh(force) {
    if (requests) {
      afterRequests = true;
      return;
    }
    if (!force && editing()) {
      offer();
      return;
    }
    let response;
    try {
      response = await fetch(window.location.href, { credentials: "same-origin", headers: { "X-Live": "1" } });
    } catch (error) {
      return; // offline for a moment: the next event tries again
    }
    if (!response.ok || response.redirected) return;
    const text = await response.text();
    if (requests) {
      afterRequests = true; // a decision went out while this was fetched: its answer first
      return;
    }
    if (!force && editing()) {
      offer(); // the person started typing or choosing while this was fetched
      return;
    }
    const fresh = new DOMParser().parseFromString(text, "text/html");
    const ticked = new Set(
      Array.from(document.querySelectorAll("input[type=checkbox][name=items]:checked")).map((box) => box.value),
    );
    for (const region of regions()) {
      const replacement = fresh.getElementById(region.id);
      if (!replacement) continue;
      region.innerHTML = replacement.innerHTML;
      // New forms get htmx's handling as the page's first ones did.
      if (window.htmx) window.htmx.process(region);
    }
    for (const box of document.querySelectorAll("input[type=checkbox][name=items]")) {
      if (ticked.has(box.value)) box.checked = true;
    }
    waiting = false;
    const note = noteOf();
    if (note) note.hidden = true;
    document.dispatchEvent(new CustomEvent("live:updated"));
  }

  // At most one refetch per quarter second, and never postponed by the next event: while a
  // 50-company list is researched the events never pause, and the counts must still move.
  function schedule() {
    if (timer) return;
    timer = window.setTimeout(() => {
      timer = null;
      refresh(false);
    }, 250);
  }
  document.addEventListener("focusout", () => {
    if (waiting) window.setTimeout(() => { if (!editing()) refresh(false); }, 0);
  });
  // Each region names the events it follows (`data-live="run_finished"`); bare `data-live`
  // follows the Inbox's own. A lost stream always refetches (`resync`).
  const INBOX_EVENTS = ["item_opened", "item_decided", "ledger_changed"];
  const types = new Set(["resync"]);
  for (const region of regions()) {
    const named = region.dataset.live.split(/\s+/).filter(Boolean);
    for (const type of named.length ? named : INBOX_EVENTS) types.add(type);
  }
  const source = new EventSource("/events/inbox");
  for (const type of types) source.addEventListener(type, schedule);
  // Whatever changed between this page's render and the stream's start was never streamed:
  // one refetch once listening closes that gap (and the gap of a reconnect).
  source.addEventListener("ready", () => {
    document.documentElement.setAttribute("data-live-ready", "");
    schedule();
  });
})();
