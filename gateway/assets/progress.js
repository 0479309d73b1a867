// The console's dashboard follows the progress stream (Server-Sent Events): each `progress`
// event carries the table as the server renders it, which replaces the one shown. The
// stream is closed when the page is hidden and opened again when it is shown: a page kept
// in the browser's back-forward cache would otherwise hold its connection open, and a few
// such pages use up the browser's connections to the server (six per host), stalling every
// later request. Without script the counts are those of the last load.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box || !window.EventSource) {
    return;
  }
  var url = box.getAttribute("data-stream");
  var source = null;
  function open() {
    if (source) { return; }
    source = new EventSource(url);
    source.addEventListener("progress", function (event) {
      box.innerHTML = event.data;
    });
  }
  function close() {
    if (source) { source.close(); source = null; }
  }
  window.addEventListener("pageshow", open);
  window.addEventListener("pagehide", close);
  if (document.readyState === "complete") { open(); }
})();
