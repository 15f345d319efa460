// After a form: move focus to its error summary, or else to the message saying what happened (a live region
// already on the page when it loads is not announced), so screen readers read it first and keyboard users
// continue from there.
document.addEventListener("DOMContentLoaded", () => {
  const first = document.querySelector("[data-error-summary]") || document.querySelector("[data-flashes]");
  if (first) {
    first.focus();
  }
});
