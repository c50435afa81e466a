// Progressive enhancement only: every control also works as a plain GET form without this file.
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("search-form");
    var box = document.getElementById("q");
    // A URL with #results-area asked for the results: focusing the box would scroll back up.
    if (box && document.activeElement !== box && !window.location.hash) {
      box.focus();
      // Put the caret after the existing query so typing refines it.
      var end = box.value.length;
      try { box.setSelectionRange(end, end); } catch (e) { /* type=search may refuse */ }
    }
    if (!form) {
      return;
    }
    // On a phone the open filters would push the results a screen down, so they start folded,
    // also right after a filter changed: the chips above the results show what is in force.
    var panel = document.getElementById("filter-panel");
    if (panel && window.matchMedia && window.matchMedia("(max-width: 47.99rem)").matches) {
      panel.open = false;
    }
    // With the panel folded the results are in view already: no need to jump to them.
    var apply = document.getElementById("apply-button");
    if (apply) { apply.removeAttribute("formaction"); }
    // A page restored from the back/forward cache keeps its last form state (say, a box ticked
    // just before leaving); put the controls back to what this page's URL actually shows.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) { form.reset(); }
    });
    // Leave empty fields out of the URL so shared links stay short.
    form.addEventListener("formdata", function (event) {
      var empty = [];
      event.formData.forEach(function (value, key) {
        if (value === "" && (key === "q" || key === "from" || key === "to")) { empty.push(key); }
        if (key === "sort" && value === "relevance") { empty.push(key); }
      });
      empty.forEach(function (key) { event.formData.delete(key); });
    });
    form.addEventListener("change", function (event) {
      var target = event.target;
      var instant = target.type === "checkbox" || target.name === "sort";
      if (instant) {
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
