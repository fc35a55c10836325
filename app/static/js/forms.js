/* Forms: progressive enhancement for every form of the site (each works without it).
   - A refused form: the error summary takes the focus (autofocus does it where honoured), and
     each of its links moves the focus to its control with the control's label or legend and
     its message in view, not just scrolled to the control's top edge.
   - A text area with a length limit (data-count-max, set by app.core.forms.Form) shows the
     characters left or over instead of a maxlength that drops pasted text without a word.
     Counted as the server counts (Length after clean_text): NFC, line ends as one, code
     points, leading and trailing white space left out.
   - A form sent after the session ended is filled again after logging in (see keepDrafts). */
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

  // Drafts across a login. A form sent after the session ended goes to the login page and
  // the server has nothing to keep it in; the browser keeps what was sent (sessionStorage: this
  // tab only, gone when it closes) until the next page. Back on the form from the login page,
  // empty, it is filled again and says so; on any other page the copy is deleted.
  var DRAFT = "sankaku-draft";
  var script = document.currentScript;  // read now: it is null once the page has loaded
  var LOGIN = script ? script.dataset.loginPath : "/login";
  var restoredMessage = script ? script.dataset.draftRestored : "";
  var KEPT_TYPES = ["text", "email", "tel", "number", "date", "time", "url", "datetime-local"];

  function keptControls(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.name === "website" || el.closest(".hp")) { return false; }
      if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") { return true; }
      return el.tagName === "INPUT" &&
        (KEPT_TYPES.indexOf(el.type) >= 0 || el.type === "radio" || el.type === "checkbox");
    });
  }

  function saveDraft(form) {
    if (form.querySelector("input[type=password]")) { return; }
    var values = keptControls(form).map(function (el) {
      var box = el.type === "radio" || el.type === "checkbox";
      return [el.name, box ? el.value : null, box ? el.checked : el.value];
    });
    try {
      window.sessionStorage.setItem(DRAFT, JSON.stringify({ path: new URL(form.action).pathname, values: values }));
    } catch (e) { /* storage full or disabled: the server's own keeping still applies */ }
  }

  function restoreDraft(message) {
    var draft = null;
    try { draft = JSON.parse(window.sessionStorage.getItem(DRAFT) || "null"); } catch (e) { draft = null; }
    if (!draft) { return; }
    if (location.pathname === LOGIN) { return; }  // on the way back to the form
    window.sessionStorage.removeItem(DRAFT);
    var cameFromLogin = document.referrer && new URL(document.referrer).pathname === LOGIN;
    if (!cameFromLogin || location.pathname !== draft.path) { return; }
    var form = Array.prototype.find.call(document.querySelectorAll("main form[method=post]"), function (f) {
      return new URL(f.action).pathname === draft.path;
    });
    if (!form) { return; }
    var typed = keptControls(form).some(function (el) {
      return el.tagName === "TEXTAREA" && el.value.trim() !== "";
    });
    if (typed) { return; }
    draft.values.forEach(function (entry) {
      var name = entry[0], value = entry[1], state = entry[2];
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name !== name) { return; }
        if (el.type === "radio" || el.type === "checkbox") {
          if (el.value === value) { el.checked = state; }
        } else if (el.tagName === "SELECT" || KEPT_TYPES.indexOf(el.type) >= 0 || el.tagName === "TEXTAREA") {
          el.value = state;
        }
      });
    });
    if (message) {
      var note = document.createElement("div");
      note.className = "flash info";
      note.setAttribute("role", "status");
      note.id = "draft-restored";
      note.textContent = message;
      form.parentNode.insertBefore(note, form);
    }
  }

  function keepDrafts(message) {
    restoreDraft(message);
    Array.prototype.forEach.call(document.querySelectorAll("main form[method=post]"), function (form) {
      form.addEventListener("submit", function () { saveDraft(form); });
    });
  }

  function init() {
    keepDrafts(restoredMessage);
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
