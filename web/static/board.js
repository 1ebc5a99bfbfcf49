// The pipeline board's drag and drop: drop a lead's card on another column, say why, and the
// same move form the Move… buttons use is posted (CSRF included), so the server alone decides
// whether the move is allowed. Without this script the buttons do the same job.
(function () {
  "use strict";

  function start() {
    var board = document.querySelector(".board[data-draggable]");
    var dialog = document.getElementById("move-dialog");
    if (!board || !dialog) {
      return;
    }
    var form = dialog.querySelector("form");
    var title = document.getElementById("move-dialog-title");
    var label = dialog.querySelector('label[for="move-dialog-rationale"]');
    var rationale = document.getElementById("move-dialog-rationale");
    var hint = document.getElementById("move-dialog-hint");
    var cancel = document.getElementById("move-dialog-cancel");
    var dragged = null;

    function cards() {
      return board.querySelectorAll(".lead-card[data-lead-id]");
    }

    function columns() {
      return board.querySelectorAll(".board-column[data-status]");
    }

    // While a text field of a card has the focus the card is not draggable: Chromium would
    // otherwise start a drag where a person only means to select what they typed.
    function isField(element) {
      return element && (element.tagName === "INPUT" || element.tagName === "TEXTAREA");
    }

    cards().forEach(function (card) {
      card.draggable = true;
      card.classList.add("can-drag");
    });

    board.addEventListener("focusin", function (event) {
      var card = event.target.closest && event.target.closest(".lead-card[data-lead-id]");
      if (card && isField(event.target)) {
        card.draggable = false;
      }
    });

    board.addEventListener("focusout", function (event) {
      var card = event.target.closest && event.target.closest(".lead-card[data-lead-id]");
      if (card && isField(event.target)) {
        card.draggable = true;
      }
    });

    function clearMarks() {
      columns().forEach(function (column) {
        column.classList.remove("drop-allowed", "drop-over");
      });
      cards().forEach(function (card) {
        card.classList.remove("dragging");
      });
      board.classList.remove("drag-active");
    }

    function movesOf(card) {
      return (card.getAttribute("data-moves") || "").split(" ").filter(Boolean);
    }

    board.addEventListener("dragstart", function (event) {
      var card = event.target.closest && event.target.closest(".lead-card[data-lead-id]");
      if (!card || !card.draggable) {
        return;
      }
      dragged = card;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.getAttribute("data-lead-id"));
      card.classList.add("dragging");
      board.classList.add("drag-active");
      var moves = movesOf(card);
      columns().forEach(function (column) {
        if (moves.indexOf(column.getAttribute("data-status")) !== -1) {
          column.classList.add("drop-allowed");
        }
      });
    });

    board.addEventListener("dragend", function () {
      dragged = null;
      if (!dialog.open) {
        clearMarks();
      }
    });

    function targetColumn(event) {
      if (!dragged) {
        return null;
      }
      var column = event.target.closest && event.target.closest(".board-column[data-status]");
      if (!column || column.getAttribute("data-status") === dragged.getAttribute("data-status")) {
        return null;
      }
      return column;
    }

    board.addEventListener("dragover", function (event) {
      var column = targetColumn(event);
      if (!column) {
        return;
      }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      columns().forEach(function (other) {
        other.classList.toggle("drop-over", other === column);
      });
    });

    board.addEventListener("dragleave", function (event) {
      var column = event.target.closest && event.target.closest(".board-column");
      if (column && !column.contains(event.relatedTarget)) {
        column.classList.remove("drop-over");
      }
    });

    board.addEventListener("drop", function (event) {
      var column = targetColumn(event);
      if (!column) {
        return;
      }
      event.preventDefault();
      ask(dragged, column.getAttribute("data-status"));
    });

    function ask(card, status) {
      var company = card.getAttribute("data-company") || "this lead";
      var from = card.getAttribute("data-status");
      var moves = movesOf(card);
      form.setAttribute(
        "action",
        "/leads/" + encodeURIComponent(card.getAttribute("data-lead-id")) + "/move"
      );
      form.elements.namedItem("to").value = status;
      // textContent, never innerHTML: the company's name came from outside.
      title.textContent = "Move " + company + " to " + status;
      label.textContent = "Why move " + company + " from " + from + " to " + status + "?";
      hint.textContent =
        moves.indexOf(status) === -1
          ? "The pipeline does not allow " + from + " → " + status +
            (moves.length ? "; from " + from + " a lead can go to: " + moves.join(", ") + "." : ".")
          : "";
      rationale.value = "";
      if (typeof dialog.showModal === "function") {
        dialog.showModal();
        rationale.focus();
        return;
      }
      var answer = window.prompt(label.textContent, "");
      clearMarks();
      if (answer !== null) {
        rationale.value = answer;
        form.submit();
      }
    }

    cancel.addEventListener("click", function () {
      dialog.close();
    });

    dialog.addEventListener("close", function () {
      clearMarks();
    });

    form.addEventListener("submit", function () {
      form.classList.add("sending");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
