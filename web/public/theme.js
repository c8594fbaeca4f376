// Before the first paint, so a dark-mode page never flashes white. A file rather than an
// inline script: the page's Content-Security-Policy allows scripts from its origin only.
(function () {
  try {
    var choice = localStorage.getItem('parkshare.theme');
    var dark =
      choice === 'dark' ||
      (choice !== 'light' && matchMedia('(prefers-color-scheme: dark)').matches);
    if (dark) document.documentElement.classList.add('dark');
  } catch {
    // No storage (a private window, a strict browser): the light theme, then.
  }
})();
