// The notice's print button (a file, not inline script: the station's pages allow only their own scripts).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("print").addEventListener("click", () => window.print());
});
