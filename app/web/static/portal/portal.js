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
  points.forEach(function (point) {
    var link = document.createElement("a");
    link.href = point.url;
    link.textContent = point.name;
    L.marker([point.lat, point.lon], { title: point.name, alt: point.name })
      .addTo(map)
      .bindPopup(link);
    bounds.push([point.lat, point.lon]);
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
