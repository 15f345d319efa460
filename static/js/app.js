// After a form: move focus to its error summary, or else to the message saying what happened (a live region
// already on the page when it loads is not announced), so screen readers read it first and keyboard users
// continue from there. When the page comes back at the item just acted on (an #anchor: a survey question moved
// or saved), focus stays on that item and the message is spoken through a status region filled after load.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  const flashes = document.querySelector("[data-flashes]");
  const target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
  if (summary) {
    summary.focus();
  } else if (target && flashes) {
    target.focus();
    const status = document.createElement("div");
    status.setAttribute("role", "status");
    status.className = "visually-hidden";
    status.dataset.announce = "";
    document.body.append(status);
    setTimeout(() => {
      status.textContent = flashes.textContent.trim();
    }, 100);
  } else if (flashes) {
    flashes.focus();
  }
});
