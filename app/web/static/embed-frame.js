// Inside the embedded listing: tell the host page how tall the content is, so its
// embed-resize.js can size the <iframe> (no scroll bar inside the frame).
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function report() {
    var height = document.documentElement.scrollHeight;
    if (height !== last) {
      last = height;
      window.parent.postMessage({ type: "invest-embed-height", height: height }, "*");
    }
  }
  window.addEventListener("load", report);
  window.addEventListener("resize", report);
  if ("ResizeObserver" in window) new ResizeObserver(report).observe(document.body);
  report();
})();
