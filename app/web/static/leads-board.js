// Drag-and-drop on the pipeline board. Without JavaScript every card keeps its own
// "move" form, which opens the move page. With it, dropping a card on another column
// opens the board's <dialog>: an optional note, and what the stage rules ask for
// (landing details, a lost reason, a reason to reopen a closed lead). The dialog's form
// posts like the move page's, so the server checks the same rules either way.
(function () {
  "use strict";
  var board = document.querySelector(".board");
  var dialog = document.getElementById("move-dialog");
  if (!board || !dialog || typeof dialog.showModal !== "function") { return; }
  var form = dialog.querySelector("form");
  var note = form.querySelector("textarea[name=note]");
  var dragged = null;

  function closed(kind) { return kind === "won" || kind === "lost"; }

  function show(part, visible) {
    part.hidden = !visible;
    part.disabled = !visible;
  }

  function openDialog(card, column) {
    var toKind = column.getAttribute("data-kind");
    var reopening = closed(card.getAttribute("data-kind")) && !closed(toKind);
    form.action = "/leads/" + card.getAttribute("data-lead") + "/move";
    form.elements.to_stage.value = column.getAttribute("data-stage");
    form.querySelector("[data-slot=lead]").textContent = card.getAttribute("data-name");
    form.querySelector("[data-slot=stage]").textContent = column.getAttribute("data-name");
    form.querySelectorAll("[data-when]").forEach(function (part) {
      show(part, part.getAttribute("data-when") === toKind);
    });
    // A landing starts from the lead's own estimate, as the move page does.
    var capex = form.querySelector("input[name=realised_capex_eur]");
    if (capex) { capex.value = card.getAttribute("data-capex") || ""; }
    var reason = form.querySelector("select[name=lost_reason_code]");
    if (reason) { reason.required = toKind === "lost"; }
    form.querySelector("[data-note=optional]").hidden = reopening;
    form.querySelector("[data-note=required]").hidden = !reopening;
    note.required = reopening;
    note.value = "";
    dialog.showModal();
    var first = form.querySelector("fieldset:not([hidden]) select, fieldset:not([hidden]) input");
    (first || note).focus();
  }

  form.querySelector("[data-close]").addEventListener("click", function () { dialog.close(); });

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest(".lead-card") : null;
    if (!card) { return; }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-lead"));
  });
  board.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    board.querySelectorAll(".drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
  });
  board.addEventListener("dragover", function (event) {
    var column = event.target.closest ? event.target.closest(".column") : null;
    if (!column || !dragged) { return; }
    event.preventDefault();
    column.classList.add("drop-target");
  });
  board.addEventListener("dragleave", function (event) {
    var column = event.target.closest ? event.target.closest(".column") : null;
    if (column && !column.contains(event.relatedTarget)) { column.classList.remove("drop-target"); }
  });
  board.addEventListener("drop", function (event) {
    var column = event.target.closest ? event.target.closest(".column") : null;
    if (!column || !dragged) { return; }
    event.preventDefault();
    column.classList.remove("drop-target");
    var card = dragged;
    if (card.closest(".column") === column) { return; }
    openDialog(card, column);
  });
})();
