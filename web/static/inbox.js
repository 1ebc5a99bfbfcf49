// Inbox keyboard shortcuts: j/k move between items, a approves (or starts an answer), r starts
// a rejection, e opens the edit form, x ticks for a bulk decision, ? shows the help.
// Every shortcut presses a button or focuses a field of the page's own forms.
(() => {
  "use strict";
  const help = document.getElementById("shortcuts");
  const hint = document.querySelector("[data-shortcuts]");
  if (hint && help && help.showModal) {
    hint.hidden = false;
    hint.addEventListener("click", () => help.showModal());
  }
  let current = null;
  const items = () => Array.from(document.querySelectorAll("[data-item]"));

  function select(item) {
    if (!item) return;
    for (const other of document.querySelectorAll("[data-item].current")) other.classList.remove("current");
    item.classList.add("current");
    item.tabIndex = -1;
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
    current = item.id;
  }
  document.addEventListener("live:updated", () => {
    const item = current && document.getElementById(current);
    if (item) item.classList.add("current");
  });
  document.addEventListener("click", (event) => {
    const item = event.target.closest && event.target.closest("[data-item]");
    if (item) {
      for (const other of document.querySelectorAll("[data-item].current")) other.classList.remove("current");
      item.classList.add("current");
      current = item.id;
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable], dialog")) {
      if (event.key === "Escape" && target.blur) target.blur();
      return;
    }
    if (event.key === "?" && help && help.showModal) {
      event.preventDefault();
      help.showModal();
      return;
    }
    const list = items();
    if (!list.length) return;
    const index = list.findIndex((item) => item.id === current);
    const item = index >= 0 ? list[index] : null;
    const act = (found) => {
      if (!found) return;
      event.preventDefault();
      found();
    };
    switch (event.key) {
      case "j":
        act(() => select(list[Math.min(index + 1, list.length - 1)]));
        break;
      case "k":
        act(() => select(list[Math.max(index - 1, 0)]));
        break;
      case "a": {
        if (!item) break;
        const approve = item.querySelector("[data-key=a]");
        const answer = item.querySelector("form.answer textarea, form.answer input[type=radio]");
        act(approve ? () => approve.click() : answer ? () => answer.focus() : null);
        break;
      }
      case "r": {
        const reason = item && item.querySelector("form.reject input[name=reason]");
        act(reason ? () => reason.focus() : null);
        break;
      }
      case "e": {
        const edit = item && item.querySelector("details[data-edit]");
        act(edit ? () => {
          edit.open = true;
          const first = edit.querySelector("input:not([type=hidden]), textarea, select");
          if (first) first.focus();
        } : null);
        break;
      }
      case "x": {
        const box = item && item.querySelector("input[type=checkbox][name=items]");
        act(box ? () => { box.checked = !box.checked; } : null);
        break;
      }
      default:
        break;
    }
  });
})();
