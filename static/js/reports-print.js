// The printable page opens the browser's print dialogue once loaded.
window.addEventListener("load", function () { window.print(); });
