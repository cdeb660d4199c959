// frdesk — progressive enhancement only; every page works without it.
(function () {
  "use strict";
  // Move focus to the error summary so keyboard and screen-reader users hear the problems.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // A field marked with an error: once the user changes it, the old message no longer applies
  // there (the server checks again on the next submit).
  Array.prototype.forEach.call(document.querySelectorAll(".field.has-error"), function (field) {
    function clear() {
      field.classList.remove("has-error");
      Array.prototype.forEach.call(field.querySelectorAll("[aria-invalid]"), function (el) {
        el.removeAttribute("aria-invalid");
      });
      Array.prototype.forEach.call(field.querySelectorAll(".error"), function (el) {
        el.hidden = true;
      });
    }
    field.addEventListener("input", clear);
    field.addEventListener("change", clear);
  });

  // A table wider than its box scrolls inside it: while it does, the box is a named region that
  // takes keyboard focus, so the arrow keys scroll it (WCAG 2.1.1; axe "scrollable-region-focusable").
  var boxes = document.querySelectorAll(".table-scroll");
  function nameOf(box) {
    var caption = box.querySelector("caption");
    var section = box.closest("section");
    var heading = (section && section.querySelector("h2, h3")) || document.querySelector("h1");
    var text = (caption || heading || { textContent: "Table" }).textContent.trim();
    return text + " (table, scrolls sideways)";
  }
  function markScrolling() {
    Array.prototype.forEach.call(boxes, function (box) {
      if (box.scrollWidth > box.clientWidth) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", nameOf(box));
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  if (boxes.length) {
    markScrolling();
    window.addEventListener("resize", markScrolling);
  }

  // The number of images submitted, counted as the requester attaches and removes them.
  var count = document.getElementById("images_count");
  var files = document.getElementById("images");
  if (count && files) {
    var recount = function () {
      var n = parseInt(count.getAttribute("data-attached") || "0", 10);
      n -= document.querySelectorAll("input[name=remove_images]:checked").length;
      n += files.files ? files.files.length : 0;
      count.textContent = String(n);
    };
    files.addEventListener("change", recount);
    Array.prototype.forEach.call(document.querySelectorAll("input[name=remove_images]"), function (el) {
      el.addEventListener("change", recount);
    });
    recount();
  }

  // Live search-reason verdict (the same rules the server applies on submit).
  var reason = document.querySelector("[data-reason-check]");
  var out = document.getElementById("reason-verdict");
  if (!reason || !out) { return; }
  var timer = null;
  function render(result) {
    out.className = "verdict verdict-" + result.verdict;
    out.textContent = "";
    var strong = document.createElement("strong");
    strong.textContent = { compliant: "Compliant", non_compliant: "Non-compliant", needs_review: "Needs review" }[result.verdict] || result.verdict;
    out.appendChild(strong);
    var ul = document.createElement("ul");
    (result.findings || []).forEach(function (f) {
      var li = document.createElement("li");
      li.textContent = f.message;
      ul.appendChild(li);
    });
    out.appendChild(ul);
  }
  reason.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var text = reason.value;
      if (!text.trim()) { out.textContent = ""; return; }
      fetch("/reason/check?text=" + encodeURIComponent(text), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) { if (j) { render(j); } })
        .catch(function () {});
    }, 300);
  });
})();
