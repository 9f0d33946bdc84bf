// Buttons marked data-print open the browser's print dialog (a file, not an onclick
// attribute: the Content-Security-Policy runs no inline script).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
});
