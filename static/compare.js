// frdesk — the comparison view's keyboard shortcuts and zoom; progressive enhancement only
// (the previous/next links and the zoom buttons work without it).
(function () {
  "use strict";
  var view = document.querySelector(".compare-view");
  if (!view) { return; }
  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return el.isContentEditable || tag === "TEXTAREA" || tag === "SELECT" ||
      (tag === "INPUT" && !/^(radio|checkbox|button|submit)$/i.test(el.type));
  }
  function go(id) {
    var a = document.getElementById(id);
    if (a) { window.location.assign(a.href); }
  }
  function zoom(step) {
    var radios = view.querySelectorAll("input[name=zoom]");
    for (var i = 0; i < radios.length; i++) {
      if (radios[i].checked) {
        var j = Math.max(0, Math.min(radios.length - 1, i + step));
        radios[j].checked = true;
        return;
      }
    }
  }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) { return; }
    // Arrow keys move between radio buttons of the form: leave them to the form there.
    var onChoice = e.target && e.target.tagName === "INPUT";
    switch (e.key) {
      case "j": go("next-candidate"); break;
      case "k": go("prev-candidate"); break;
      case "ArrowRight": if (!onChoice) { go("next-candidate"); } else { return; } break;
      case "ArrowLeft": if (!onChoice) { go("prev-candidate"); } else { return; } break;
      case "+": case "=": zoom(1); break;
      case "-": zoom(-1); break;
      default: return;
    }
    e.preventDefault();
  });
})();
