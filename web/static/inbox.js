// Inbox keyboard shortcuts: j/k move between items, a approves (or starts an answer), r starts
// a rejection, e opens the edit form, x ticks for a bulk decision, ? shows the help.
// Every shortcut presses a button or focuses a field of the page's own forms.
(() => {
  "use strict";
  // Looked up when used: a decision made with htmx swaps the main part of the page.
  const helpOf = () => {
    const help = document.getElementById("shortcuts");
    return help && help.showModal ? help : null;
  };
  function showHint() {
    const hint = document.querySelector("[data-shortcuts]");
    if (hint && helpOf()) hint.hidden = false;
  }
  showHint();
  let current = null;
  let currentIndex = -1;
  const items = () => Array.from(document.querySelectorAll("[data-item]"));

  function select(item) {
    if (!item) return;
    for (const other of document.querySelectorAll("[data-item].current")) other.classList.remove("current");
    item.classList.add("current");
    item.tabIndex = -1;
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
    current = item.id;
    currentIndex = items().indexOf(item);
  }
  // After a live refresh or a decision swapped in: the same item, or the one now in its
  // place (approve, approve, approve… down the list).
  function restore() {
    showHint();
    if (currentIndex < 0) return;
    const list = items();
    const same = current && document.getElementById(current);
    if (same) {
      same.classList.add("current");
    } else if (list.length) {
      select(list[Math.min(currentIndex, list.length - 1)]);
    }
  }
  document.addEventListener("live:updated", restore);
  document.addEventListener("htmx:afterSettle", restore);
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("[data-shortcuts]") && helpOf()) {
      helpOf().showModal();
      return;
    }
    const item = event.target.closest && event.target.closest("[data-item]");
    if (item) {
      for (const other of document.querySelectorAll("[data-item].current")) other.classList.remove("current");
      item.classList.add("current");
      current = item.id;
      currentIndex = items().indexOf(item);
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable], dialog")) {
      if (event.key === "Escape" && target.blur) target.blur();
      return;
    }
    if (event.key === "?" && helpOf()) {
      event.preventDefault();
      helpOf().showModal();
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
