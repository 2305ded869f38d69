// mturk-local console: the assignment timer, and a CSV file read into its text area.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // <span class="timer" data-seconds="N">: counts down from N seconds (virtual time runs at real speed).
  document.querySelectorAll(".timer[data-seconds]").forEach(function (el) {
    var left = parseInt(el.getAttribute("data-seconds"), 10);
    function show() {
      if (left <= 0) { el.textContent = "time is up"; return; }
      var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      el.textContent = (h ? h + ":" : "") + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
    }
    show();
    setInterval(function () { left -= 1; show(); }, 1000);
  });
  // <input type="file" data-into="ID">: the chosen file's text goes into the text area ID.
  document.querySelectorAll("input[type=file][data-into]").forEach(function (input) {
    input.addEventListener("change", function () {
      var target = document.getElementById(input.getAttribute("data-into"));
      if (!input.files.length || !target) { return; }
      input.files[0].text().then(function (text) { target.value = text; });
    });
  });
});
