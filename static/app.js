// Progressive enhancement only: every control also works as a plain GET form without this file.
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("search-form");
    var box = document.getElementById("q");
    // "/" puts the cursor in the search box, as on many sites, unless one is typing somewhere.
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
      var target = event.target;
      var typing = target && (target.isContentEditable || /^(TEXTAREA|SELECT)$/.test(target.tagName) ||
        (target.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset|range|color|file)$/.test(target.type)));
      if (typing) { return; }
      if (!box) { return; }
      event.preventDefault();
      box.focus();
      box.select();
    });
    // A URL with #results-area asked for the results: focusing the box would scroll back up. The
    // article page's box waits for "/" or a click: its reader came to read.
    if (form && box && document.activeElement !== box && !window.location.hash) {
      box.focus();
      // Put the caret after the existing query so typing refines it.
      var end = box.value.length;
      try { box.setSelectionRange(end, end); } catch (e) { /* type=search may refuse */ }
    }
    if (!form) {
      return;
    }
    if (box) { initSuggest(form, box); }
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
      var instant = target.type === "checkbox" || target.name === "sort" || target.type === "date";
      if (!instant || target.form !== form) { return; }
      if (window.fetch && window.history && window.DOMParser) {
        updateInPlace(form, formUrl(form), target, true);
      } else if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    });
    // Back and forward walk the filter changes made in place.
    window.addEventListener("popstate", function () {
      updateInPlace(form, window.location.pathname + window.location.search, null, false);
    });
  }

  // ------------------------------------------------------------ filters applied in place
  // A ticked city, a sort or a date fetches the same URL the form would load and swaps in its
  // results and filters: the panel stays as it was (open on a phone), focus stays on the control
  // touched, and the address bar and history follow. Any failure falls back to loading the page.
  function formUrl(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value === "" && (key === "q" || key === "from" || key === "to")) { return; }
      if (key === "sort" && value === "relevance") { return; }
      params.append(key, value);
    });
    var query = params.toString();
    return "/" + (query ? "?" + query : "");
  }

  function controlKey(control) {
    if (!control || !control.name) { return null; }
    return control.type === "checkbox" ? { name: control.name, value: control.value } : { name: control.name };
  }

  function findControl(root, key) {
    if (!key) { return null; }
    var fields = root.querySelectorAll("[name]");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].name === key.name && (key.value === undefined || fields[i].value === key.value)) { return fields[i]; }
    }
    return null;
  }

  var pending = null;
  function updateInPlace(form, url, touched, push) {
    if (pending) { pending.abort(); }
    var controller = window.AbortController ? new AbortController() : null;
    pending = controller;
    var key = controlKey(touched);
    var area = document.getElementById("results-area");
    if (area) { area.setAttribute("aria-busy", "true"); }
    fetch(url, { headers: { Accept: "text/html" }, signal: controller ? controller.signal : undefined })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html");
        var nextArea = next.getElementById("results-area");
        var nextFilters = next.getElementById("filter-panel");
        var filters = document.getElementById("filter-panel");
        if (!area || !nextArea || !filters || !nextFilters) { throw new Error("unexpected page"); }
        var open = filters.open;
        filters.innerHTML = nextFilters.innerHTML;
        filters.open = open;
        area.innerHTML = nextArea.innerHTML;
        area.removeAttribute("aria-busy");
        document.title = next.title;
        if (push) { window.history.pushState(null, "", url); }
        var apply = document.getElementById("apply-button");
        if (apply) { apply.removeAttribute("formaction"); }  // as init() does: the results are in view
        var count = document.getElementById("result-count");
        var live = document.getElementById("live-status");
        if (count && live) { live.textContent = count.textContent.replace(/\s+/g, " ").trim(); }
        var again = findControl(filters, key);
        if (again) { again.focus(); }
        pending = null;
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") { return; }
        window.location.assign(url);
      });
  }

  // ------------------------------------------------------------ completions for the search box
  // A WAI-ARIA 1.2 combobox (editable, list autocomplete, manual selection) over #q: the typed
  // text with its last word completed, and article titles, from /api/suggest. The listbox is
  // built here, so without JavaScript the box is the plain search field it always was. Text from
  // the API only ever becomes textContent.
  var SUGGEST_URL = "/api/suggest";
  var DEBOUNCE_MS = 150;
  var MIN_WORD = 2; // letters of the last word before asking (one Chinese character is enough: 太 -> 太原)
  var HAN = /\p{Script=Han}/u;
  var MAX_QUERY = 200; // the endpoint completes the first 200 characters only
  var LAST_WORD = /[\p{L}\p{N}_]+$/u; // the endpoint's (\w+)$

  function lastWord(text) {
    var match = LAST_WORD.exec(text);
    return match ? match[0] : "";
  }

  // An article page of this site ("/article/x"), as the path the browser itself would resolve the URL
  // to: never another host however written ("//host", "/\t/host" with the tab a browser strips,
  // "/\\host"), "javascript:", or a path outside /article/ ("/article/../x" resolves to "/x").
  function localPath(url) {
    if (typeof url !== "string") { return null; }
    var resolved;
    try {
      resolved = new URL(url, window.location.origin);
    } catch (e) {
      return null;
    }
    if (resolved.origin !== window.location.origin || resolved.pathname.indexOf("/article/") !== 0) { return null; }
    return resolved.pathname + resolved.search + resolved.hash;
  }

  function initSuggest(form, box) {
    var row = box.parentNode;
    if (!window.fetch || !window.AbortController || !row) { return; }
    var listbox = document.createElement("div");
    listbox.id = "q-suggestions";
    listbox.className = "suggestions";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", "Suggestions");
    listbox.hidden = true;
    row.classList.add("has-suggestions");
    row.appendChild(listbox);
    var status = document.createElement("div");
    status.id = "q-suggestions-status";
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    row.parentNode.insertBefore(status, row.nextSibling);

    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-expanded", "false");
    box.setAttribute("aria-controls", listbox.id);

    var options = []; // [{el, kind: "query" | "article", value | url}]
    var shownFor = null; // the typed text the options answer
    var active = -1;
    var timer = 0;
    var controller = null;
    var cache = new Map(); // typed text -> the API's answer, for backspacing over what was typed

    function setActive(index) {
      if (active >= 0 && options[active]) {
        options[active].el.setAttribute("aria-selected", "false");
        options[active].el.classList.remove("active");
      }
      active = index;
      if (active >= 0 && options[active]) {
        var el = options[active].el;
        el.setAttribute("aria-selected", "true");
        el.classList.add("active");
        box.setAttribute("aria-activedescendant", el.id);
        if (el.scrollIntoView) { el.scrollIntoView({block: "nearest"}); }
      } else {
        active = -1;
        box.removeAttribute("aria-activedescendant");
      }
    }

    function isOpen() { return !listbox.hidden; }

    function open() {
      if (!options.length) { return; }
      listbox.hidden = false;
      box.setAttribute("aria-expanded", "true");
    }

    function close() {
      setActive(-1);
      if (isOpen()) {
        listbox.hidden = true;
        box.setAttribute("aria-expanded", "false");
      }
      status.textContent = "";
    }

    function cancel() {
      window.clearTimeout(timer);
      timer = 0;
      if (controller) {
        controller.abort();
        controller = null;
      }
    }

    function say(text) {
      if (status.textContent !== text) { status.textContent = text; } // unchanged: not announced again
    }

    function group(name, id) {
      var el = document.createElement("div");
      el.setAttribute("role", "group");
      el.setAttribute("aria-labelledby", id);
      var label = document.createElement("div");
      label.id = id;
      label.className = "suggestions-heading";
      label.setAttribute("role", "presentation");
      label.textContent = name;
      el.appendChild(label);
      return el;
    }

    function option(parent, kind) {
      var el = document.createElement("div");
      el.id = "q-option-" + options.length;
      el.className = "suggestion suggestion-" + kind;
      el.setAttribute("role", "option");
      el.setAttribute("aria-selected", "false");
      parent.appendChild(el);
      return el;
    }

    function render(typed, data) {
      setActive(-1);
      options = [];
      shownFor = typed;
      while (listbox.firstChild) { listbox.removeChild(listbox.firstChild); }
      var words = data && Array.isArray(data.words) ? data.words : [];
      var titles = data && Array.isArray(data.titles) ? data.titles : [];
      var lower = typed.toLowerCase();
      var seen = new Set();
      // The completion equal to the typed text adds nothing: Enter searches that already.
      var queries = words.filter(function (w) {
        if (typeof w !== "string" || !w.trim() || w.toLowerCase() === lower.trim() || seen.has(w)) { return false; }
        seen.add(w);
        return true;
      });
      var articles = titles.filter(function (t) {
        return t && typeof t.title === "string" && t.title.trim() && localPath(t.url);
      });
      if (queries.length) {
        var searches = group("Searches", "q-suggestions-searches");
        queries.forEach(function (text) {
          var el = option(searches, "query");
          // The typed part plain, what the completion adds in bold.
          if (text.length > typed.length && text.slice(0, typed.length).toLowerCase() === lower) {
            el.appendChild(document.createTextNode(text.slice(0, typed.length)));
            var rest = document.createElement("b");
            rest.textContent = text.slice(typed.length);
            el.appendChild(rest);
          } else {
            el.textContent = text;
          }
          options.push({el: el, kind: "query", value: text});
        });
        listbox.appendChild(searches);
      }
      if (articles.length) {
        var found = group("Articles", "q-suggestions-articles");
        articles.forEach(function (t) {
          var el = option(found, "article");
          el.textContent = t.title;
          options.push({el: el, kind: "article", url: localPath(t.url)});
        });
        listbox.appendChild(found);
      }
      if (!options.length) {
        close();
        return;
      }
      open();
      var n = options.length;
      say(n + (n === 1 ? " suggestion" : " suggestions") + ". Use the up and down arrow keys to choose.");
    }

    function remember(typed, data) {
      cache.set(typed, data);
      if (cache.size > 50) { cache.delete(cache.keys().next().value); } // the oldest goes
    }

    function request(typed) {
      timer = 0;
      if (cache.has(typed)) {
        render(typed, cache.get(typed));
        return;
      }
      var mine = new AbortController();
      controller = mine;
      window.fetch(SUGGEST_URL + "?q=" + encodeURIComponent(typed), {
        signal: mine.signal,
        credentials: "same-origin",
        headers: {"Accept": "application/json"}
      }).then(function (response) {
        if (!response.ok) { throw new Error("suggest " + response.status); }
        return response.json();
      }).then(function (data) {
        // Only the newest request may fill the list, and only while the box still says what it asked.
        if (controller !== mine) { return; }
        controller = null;
        if (!data || data.query !== typed) { return; }
        remember(typed, data);
        if (box.value !== typed) { return; }
        if (document.activeElement === box) { render(typed, data); }
      }).catch(function () {
        // Aborted by newer typing, or the API failed: the box keeps working as a plain search field.
        if (controller === mine) {
          controller = null;
          close();
        }
      });
    }

    function changed() {
      cancel();
      setActive(-1);
      var typed = box.value;
      var word = Array.from(lastWord(typed));
      if (typed.length > MAX_QUERY || (word.length < MIN_WORD && !(word.length === 1 && HAN.test(word[0])))) {
        render(typed, null); // nothing to offer: empties and closes the list
        return;
      }
      timer = window.setTimeout(function () { request(typed); }, DEBOUNCE_MS);
    }

    function pick(index) {
      var chosen = options[index];
      if (!chosen) { return; }
      cancel();
      close();
      if (chosen.kind === "article") {
        window.location.assign(chosen.url);
        return;
      }
      box.value = chosen.value;
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }

    box.addEventListener("input", changed);
    box.addEventListener("keydown", function (event) {
      if (event.isComposing || event.keyCode === 229) { return; } // an input method is composing
      var key = event.key;
      // Closed, the list reopens only with options for what the box says now.
      var ready = options.length && (isOpen() || shownFor === box.value);
      if (key === "ArrowDown" || key === "Down") {
        if (!ready) { return; }
        event.preventDefault();
        if (!isOpen()) {
          open();
          if (!event.altKey) { setActive(0); }
        } else if (!event.altKey) {
          // Past the last option the highlight goes back to the typed text, then round again.
          setActive(active + 1 < options.length ? active + 1 : -1);
        }
      } else if (key === "ArrowUp" || key === "Up") {
        if (!ready) { return; }
        event.preventDefault();
        if (event.altKey) {
          close();
        } else if (!isOpen()) {
          open();
          setActive(options.length - 1);
        } else {
          setActive(active < 0 ? options.length - 1 : active - 1);
        }
      } else if (key === "Enter") {
        if (isOpen() && active >= 0) {
          event.preventDefault();
          pick(active);
        } else {
          cancel();
          close(); // the form submits what was typed
        }
      } else if (key === "Escape" || key === "Esc") {
        if (isOpen()) {
          event.preventDefault(); // keep the text: a search box would clear itself
          cancel();
          close();
        }
      } else if (key === "Tab") {
        cancel();
        close();
      }
    });
    box.addEventListener("blur", function () {
      cancel();
      close();
    });
    // Pressing an option must not take the focus from the box (that would close the list first).
    listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
    listbox.addEventListener("click", function (event) {
      var target = event.target;
      while (target && target !== listbox && target.getAttribute("role") !== "option") {
        target = target.parentNode;
      }
      if (!target || target === listbox) { return; }
      for (var i = 0; i < options.length; i += 1) {
        if (options[i].el === target) {
          pick(i);
          return;
        }
      }
    });
    form.addEventListener("submit", function () {
      cancel();
      close();
    });
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        cancel();
        close();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
