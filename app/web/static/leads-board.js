// Drag-and-drop on the pipeline board. Without JavaScript every card keeps its own
// "move" form; with it, a drop opens the same transition dialog, or (for a plain move
// between open stages) posts the same form the dialog would.
(function () {
  "use strict";
  var board = document.querySelector(".board");
  if (!board) { return; }
  var csrf = board.getAttribute("data-csrf");
  var dragged = null;

  function dialogUrl(card, stage) {
    return "/leads/" + card.getAttribute("data-lead") + "/move?to_stage=" + encodeURIComponent(stage);
  }

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
    var card = dragged;
    var stage = column.getAttribute("data-stage");
    var fromKind = card.getAttribute("data-kind");
    var toKind = column.getAttribute("data-kind");
    if (card.parentElement && card.parentElement.closest(".column") === column) { return; }
    // Landing, losing and reopening ask for details: show the dialog.
    if (toKind === "won" || toKind === "lost" || fromKind === "won" || fromKind === "lost") {
      window.location.assign(dialogUrl(card, stage));
      return;
    }
    var body = new URLSearchParams();
    body.set("to_stage", stage);
    body.set("next", window.location.pathname + window.location.search);
    fetch("/leads/" + card.getAttribute("data-lead") + "/move", {
      method: "POST",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      credentials: "same-origin"
    }).then(function (response) {
      if (response.ok && response.redirected) {
        window.location.reload();
      } else {
        window.location.assign(dialogUrl(card, stage));
      }
    }, function () {
      window.location.assign(dialogUrl(card, stage));
    });
  });
})();
