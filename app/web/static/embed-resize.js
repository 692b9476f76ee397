// On the municipality's page: resize every embedded site listing to the height its
// content reports. Only messages from the iframe's own window and from the origin this
// script was loaded from are believed, so any iframe of ours is found by its window
// (snippets pasted before their attribute was renamed keep working).
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = script ? new URL(script.src).origin : null;
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || event.data.type !== "invest-embed-height") return;
    var height = Number(event.data.height);
    if (!isFinite(height) || height <= 0) return;
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.ceil(height) + "px";
      }
    }
  });
})();
