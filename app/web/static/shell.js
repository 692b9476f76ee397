// The staff UI's shell: the narrow-screen menu, the user menu, confirmation dialogs,
// dismissable messages, keyboard-reachable scrolling tables and the htmx glue. Loaded
// from a file because the Content-Security-Policy allows no inline script; every page
// works without it.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  function each(selector, scope, fn) {
    Array.prototype.forEach.call((scope || document).querySelectorAll(selector), fn);
  }

  // ---------------------------------------------------------------- narrow-screen menu
  function setupMenu() {
    var toggle = document.querySelector(".nav-toggle");
    var sidebar = document.getElementById("sidebar");
    if (!toggle || !sidebar) { return; }
    function setOpen(open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      sidebar.classList.toggle("is-open", open);
      document.body.classList.toggle("menu-open", open);
    }
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      setOpen(open);
      if (open) {
        var first = sidebar.querySelector("a[aria-current]") || sidebar.querySelector("a");
        if (first) { first.focus(); }
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
    window.matchMedia("(min-width: 60em)").addEventListener("change", function (query) {
      if (query.matches) { setOpen(false); }
    });
  }

  // ---------------------------------------------------------------- user menu (<details>)
  function setupDisclosureMenus() {
    document.addEventListener("click", function (event) {
      each("details.user-menu[open]", document, function (menu) {
        if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      each("details.user-menu[open]", document, function (menu) {
        menu.removeAttribute("open");
        var summary = menu.querySelector("summary");
        if (summary) { summary.focus(); }
      });
    });
  }

  // ---------------------------------------------------------------- confirmation dialogs
  // <form data-confirm="Text"> asks in the page's <dialog id="confirm-dialog"> first.
  function setupConfirm() {
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") { return; }
    var text = dialog.querySelector("[data-confirm-text]");
    var pending = null;
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.matches || !form.matches("form[data-confirm]")) { return; }
      if (form.getAttribute("data-confirmed") === "true") {
        form.removeAttribute("data-confirmed");
        return;
      }
      event.preventDefault();
      pending = { form: form, submitter: event.submitter || null };
      text.textContent = form.getAttribute("data-confirm");
      var confirmButton = dialog.querySelector("[data-dialog-confirm]");
      confirmButton.classList.toggle("danger", form.hasAttribute("data-confirm-danger"));
      dialog.showModal();
    });
    dialog.querySelector("[data-dialog-cancel]").addEventListener("click", function () {
      dialog.close("cancel");
    });
    dialog.querySelector("[data-dialog-confirm]").addEventListener("click", function () {
      dialog.close("confirm");
    });
    dialog.addEventListener("close", function () {
      var job = pending;
      pending = null;
      if (!job) { return; }
      if (dialog.returnValue === "confirm") {
        job.form.setAttribute("data-confirmed", "true");
        if (job.form.requestSubmit) { job.form.requestSubmit(job.submitter); } else { job.form.submit(); }
      } else if (job.submitter) {
        job.submitter.focus();
      }
    });
  }

  // ---------------------------------------------------------------- dismissable messages
  function setupFlashes(scope) {
    each(".flash[data-dismiss-label]", scope, function (flash) {
      if (flash.querySelector(".flash-close")) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "flash-close";
      button.setAttribute("aria-label", flash.getAttribute("data-dismiss-label"));
      button.innerHTML = '<svg class="icon" aria-hidden="true" focusable="false"><use href="/static/icons.svg#close"></use></svg>';
      button.addEventListener("click", function () {
        var next = document.getElementById("main");
        flash.remove();
        if (next) { next.focus(); }
      });
      flash.appendChild(button);
    });
  }

  // ---------------------------------------------------------------- filter panels
  // <details data-collapse-narrow> is open (and its summary hidden) on wide screens; on
  // a phone it starts closed unless a filter is in use, so the results come first.
  function setupFilterPanels() {
    var narrow = window.matchMedia("(max-width: 40em)");
    each("details[data-collapse-narrow]", document, function (panel) {
      var inUse = Array.prototype.some.call(panel.querySelectorAll("input, select"), function (field) {
        return field.name && field.name !== "sort" && field.type !== "hidden" && field.value;
      });
      if (narrow.matches && !inUse) { panel.removeAttribute("open"); }
    });
    narrow.addEventListener("change", function (query) {
      if (!query.matches) {
        each("details[data-collapse-narrow]", document, function (panel) { panel.setAttribute("open", ""); });
      }
    });
  }

  // ---------------------------------------------------------------- scrolling regions
  // A table wider than the screen scrolls inside its wrapper; a keyboard user then needs
  // to reach the wrapper to scroll it.
  function markScrollable() {
    each(".table-wrap, .board", document, function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) { box.setAttribute("tabindex", "0"); }
      } else if (box.getAttribute("tabindex") === "0" && box.classList.contains("table-wrap")) {
        box.removeAttribute("tabindex");
      }
    });
  }

  // ---------------------------------------------------------------- htmx glue
  function setupHtmx() {
    var token = document.querySelector('meta[name="csrf-token"]');
    document.body.addEventListener("htmx:configRequest", function (event) {
      if (token && event.detail.verb !== "get") {
        event.detail.headers["X-CSRF-Token"] = token.getAttribute("content");
      }
    });
    document.body.addEventListener("htmx:afterSettle", function (event) {
      markScrollable();
      setupFlashes(event.target);
      // A swapped region says what changed in its [data-announce] text.
      var live = document.getElementById("live-status");
      var said = event.target.querySelector && event.target.querySelector("[data-announce]");
      if (!said && event.target.matches && event.target.matches("[data-announce]")) { said = event.target; }
      if (live && said) { live.textContent = said.getAttribute("data-announce"); }
    });
  }

  function ready() {
    setupMenu();
    setupDisclosureMenus();
    setupConfirm();
    setupFlashes(document);
    setupFilterPanels();
    setupHtmx();
    markScrollable();
    var timer = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(markScrollable, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
