/* Forms: progressive enhancement for every form of the site (each works without it).
   - A refused form: the error summary takes the focus (autofocus does it where honoured), and
     each of its links moves the focus to its control with the control's label or legend and
     its message in view, not just scrolled to the control's top edge.
   - A text area with a length limit (data-count-max, set by app.core.forms.Form) shows the
     characters left or over instead of a maxlength that drops pasted text without a word.
     Counted as the server counts (Length after clean_text): NFC, line ends as one, code
     points, leading and trailing white space left out. */
(function () {
  "use strict";

  function focusSummary() {
    var summary = document.getElementById("error-summary");
    if (summary && (document.activeElement === document.body || document.activeElement === null)) {
      summary.focus();
    }
  }

  // The label (or the legend of the group) is what the person reads first: bring it into view,
  // then focus the control without scrolling it to the top edge again.
  function landOn(target) {
    var control = target;
    var heading = null;
    // A group's own error (a budget table's total) links to its fieldset: land on its first field.
    if (target.tagName === "FIELDSET") {
      heading = target.querySelector("legend");
      control = target.querySelector("input:not([type=hidden]), select, textarea") || target;
    }
    var group = control.closest("fieldset");
    if ((control.type === "radio" || control.type === "checkbox") && group) {
      heading = group.querySelector("legend");
    }
    if (!heading && control.id) {
      heading = document.querySelector('label[for="' + control.id + '"]');
    }
    (heading || control).scrollIntoView({ block: "start" });
    control.focus({ preventScroll: true });
  }

  function linkSummary() {
    var summary = document.getElementById("error-summary");
    if (!summary) { return; }
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var control = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
      if (!control) { return; }
      event.preventDefault();
      landOn(control);
    });
  }

  function countCharacters(text) {
    var normalised = text.normalize("NFC").replace(/\r\n?/g, "\n").trim();
    return Array.from(normalised).length;
  }

  function addCounter(area) {
    var max = parseInt(area.dataset.countMax, 10);
    if (!max) { return; }
    var counter = document.createElement("p");
    counter.className = "char-count";
    counter.id = area.id + "-count";
    counter.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", counter);
    var described = area.getAttribute("aria-describedby");
    area.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
    var timer = null;

    function update() {
      var count = countCharacters(area.value);
      var over = count > max;
      var template = over ? area.dataset.countOver : area.dataset.countLeft;
      counter.textContent = template.replace("%(count)s", String(over ? count - max : max - count));
      counter.classList.toggle("too-long", over);
    }

    // Shown once typing pauses, so a screen reader hears the count once, not at every key.
    area.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 400);
    });
    update();
  }

  function init() {
    focusSummary();
    linkSummary();
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-count-max]"), addCounter);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
