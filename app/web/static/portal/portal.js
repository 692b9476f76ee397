// The map is progressive enhancement: the page lists every site (and its coordinates)
// without it; with Leaflet loaded, the points become a map on OpenStreetMap tiles.
(function () {
  "use strict";
  var container = document.getElementById("map");
  var data = document.getElementById("map-points");
  if (!container || !data || typeof window.L === "undefined") {
    return;
  }
  var points = JSON.parse(data.textContent || "[]");
  if (!points.length) {
    return;
  }
  var L = window.L;
  L.Icon.Default.imagePath = "/static/portal/leaflet/images/";
  container.hidden = false;
  var map = L.map(container, { scrollWheelZoom: false });
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 18,
    attribution:
      '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
  }).addTo(map);
  var bounds = [];
  var markers = {};
  points.forEach(function (point) {
    var link = document.createElement("a");
    link.href = point.url;
    link.textContent = point.name;
    markers[point.url] = L.marker([point.lat, point.lon], { title: point.name, alt: point.name })
      .addTo(map)
      .bindPopup(link);
    bounds.push([point.lat, point.lon]);
  });
  // Map and list in sync: a card pointed at or focused marks its marker on the map, and a
  // marker clicked marks its card in the list.
  var cards = {};
  Array.prototype.forEach.call(document.querySelectorAll(".site-card"), function (card) {
    var title = card.querySelector(".card-title a");
    var marker = title && markers[title.getAttribute("href")];
    if (!marker) {
      return;
    }
    cards[title.getAttribute("href")] = card;
    var mark = function (on) {
      return function () {
        var icon = marker.getElement();
        if (icon) {
          icon.classList.toggle("marker-active", on);
        }
        marker.setZIndexOffset(on ? 1000 : 0);
      };
    };
    card.addEventListener("mouseenter", mark(true));
    card.addEventListener("focusin", mark(true));
    card.addEventListener("mouseleave", mark(false));
    card.addEventListener("focusout", mark(false));
  });
  Object.keys(markers).forEach(function (url) {
    markers[url].on("click", function () {
      Array.prototype.forEach.call(document.querySelectorAll(".site-card.is-active"), function (c) {
        c.classList.remove("is-active");
      });
      if (cards[url]) {
        cards[url].classList.add("is-active");
        cards[url].scrollIntoView({ block: "nearest" });
      }
    });
  });
  // The site's boundary (GeoJSON Polygon), drawn under its marker and framed.
  var boundaryData = document.getElementById("map-boundary");
  if (boundaryData) {
    var outline = L.geoJSON(JSON.parse(boundaryData.textContent || "null"), {
      style: { color: "#005a8c", weight: 2, fillOpacity: 0.15 },
    }).addTo(map);
    map.fitBounds(outline.getBounds(), { padding: [30, 30], maxZoom: 16 });
  } else if (bounds.length === 1) {
    map.setView(bounds[0], 12);
  } else {
    map.fitBounds(bounds, { padding: [30, 30], maxZoom: 12 });
  }
})();
