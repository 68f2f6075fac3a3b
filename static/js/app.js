// Behaviour shared by every page (no inline script: the Content-Security-Policy forbids it).
// <button data-print> opens the browser's print dialogue.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
