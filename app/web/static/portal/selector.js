// The site selector's tools, as progressive enhancement (every page works without it):
// - the shortlist, kept in localStorage: the checkboxes of the search results and the
//   site page add and remove sites, and "Compare" opens /{lang}/compare?sites=a,b,c;
// - the comparison page makes its sites the shortlist (a shared link becomes yours),
//   and "Copy link" copies its address;
// - the search filters fold away on a phone and stay open on wide screens.
(function () {
  "use strict";
  var KEY = "portal-shortlist";

  function read() {
    try {
      var value = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(value)
        ? value.filter(function (slug) { return typeof slug === "string" && slug; })
        : [];
    } catch (error) {
      return null; // storage blocked: the forms work without it
    }
  }

  function write(list) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(list));
    } catch (error) {
      // Storage blocked or full: the page still works, the list is not kept.
    }
  }

  function compareUrl(action, list) {
    return action + (list.length ? "?sites=" + list.map(encodeURIComponent).join(",") : "");
  }

  // --- the filters ---------------------------------------------------------------------
  var fold = document.querySelector("details.filters-fold");
  if (fold && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 901px)");
    fold.open = wide.matches;
    var follow = function (event) { fold.open = event.matches; };
    if (wide.addEventListener) {
      wide.addEventListener("change", follow);
    }
  }

  var stored = read();

  // --- the comparison page --------------------------------------------------------------
  var comparison = document.querySelector("[data-compare]");
  if (comparison && stored !== null) {
    var shown = (comparison.getAttribute("data-compare") || "").split(",").filter(Boolean);
    if (shown.length) {
      stored = shown;
      write(stored);
    } else if (stored.length) {
      window.location.replace(compareUrl(window.location.pathname, stored));
      return;
    }
    Array.prototype.forEach.call(comparison.querySelectorAll("[data-remove]"), function (link) {
      link.addEventListener("click", function () {
        var slug = link.getAttribute("data-remove");
        write(stored.filter(function (s) { return s !== slug; }));
      });
    });
  }

  // --- copying the link -------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!field) {
      return;
    }
    button.hidden = false;
    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }
    button.addEventListener("click", function () {
      field.select();
      var done = function () { say(button.getAttribute("data-copied")); };
      var failed = function () { say(button.getAttribute("data-copy-failed")); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(done, failed);
      } else {
        try {
          if (document.execCommand("copy")) {
            done();
          } else {
            failed();
          }
        } catch (error) {
          failed();
        }
      }
    });
  });

  // --- the shortlist ------------------------------------------------------------------------
  var form = document.getElementById("shortlist-form");
  if (!form || stored === null) {
    return;
  }
  var max = parseInt(form.getAttribute("data-shortlist-max"), 10) || 6;
  var status = form.querySelector("[data-shortlist-status]");
  var inputs = document.querySelectorAll("input.pick-input");

  function describe(note) {
    var text = note;
    if (!text) {
      if (!stored.length) {
        text = form.getAttribute("data-text-empty");
      } else if (stored.length === 1) {
        text = form.getAttribute("data-text-one");
      } else {
        text = form.getAttribute("data-text-many").replace("{count}", String(stored.length));
      }
    }
    status.textContent = text;
  }

  function sync(note) {
    Array.prototype.forEach.call(inputs, function (input) {
      input.checked = stored.indexOf(input.value) >= 0;
    });
    describe(note);
  }

  Array.prototype.forEach.call(inputs, function (input) {
    input.addEventListener("change", function () {
      var note = "";
      stored = read() || stored; // another tab may have changed it
      var at = stored.indexOf(input.value);
      if (input.checked && at < 0) {
        if (stored.length >= max) {
          note = form.getAttribute("data-text-full");
        } else {
          stored.push(input.value);
        }
      } else if (!input.checked && at >= 0) {
        stored.splice(at, 1);
      }
      write(stored);
      sync(note);
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!stored.length) {
      describe(form.getAttribute("data-text-empty"));
      return;
    }
    window.location.href = compareUrl(form.getAttribute("action"), stored);
  });

  window.addEventListener("pageshow", function () {
    stored = read() || stored;
    sync("");
  });
  sync("");
})();
