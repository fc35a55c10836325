/* Councils: the live character counter of the application essay (progressive enhancement;
   the page works without it and the server enforces the same rule).
   Counting "as the city does": Unicode characters after NFC normalisation, each one counting
   once whether full-width or half-width; line breaks are not counted. Same rule as
   count_characters() in app/councils/services.py. */
(function () {
  "use strict";

  function countCharacters(text) {
    var normalised = text.normalize("NFC").replace(/[\r\n]/g, "");
    return Array.from(normalised).length; // code points, so surrogate pairs count once
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }

  function init() {
    var textarea = document.getElementById("essay");
    var counter = document.getElementById("essay-count");
    if (!textarea || !counter) { return; }
    var min = parseInt(counter.dataset.min, 10);
    var max = parseInt(counter.dataset.max, 10);
    var timer = null;

    function update() {
      var count = countCharacters(textarea.value);
      var text;
      counter.classList.remove("too-short", "too-long");
      if (count < min) {
        text = fill(counter.dataset.short, { count: count, missing: min - count });
        counter.classList.add("too-short");
      } else if (count > max) {
        text = fill(counter.dataset.long, { count: count, excess: count - max });
        counter.classList.add("too-long");
      } else {
        text = fill(counter.dataset.text, { count: count });
      }
      counter.textContent = text;
    }

    // Screen readers hear the count once typing pauses, not on every key.
    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 300);
    });
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
