// Hides the cookie banner once accepted.
document.addEventListener('DOMContentLoaded', function () {
  var banner = document.getElementById('cookie-banner');
  if (!banner) return;
  if (document.cookie.indexOf('cookie_ok=1') !== -1) banner.hidden = true;
  banner.querySelector('.cookie-accept').addEventListener('click', function () {
    document.cookie = 'cookie_ok=1; max-age=31536000; path=/; SameSite=Lax';
    banner.hidden = true;
  });
});
