#!/usr/bin/env bash
# Install the Debian packages a target needs, only when they are missing.
# As root it runs apt-get; otherwise it says exactly what to install.
set -euo pipefail

case "${1:-}" in
  tex)
    check() { command -v xelatex && command -v latexmk && command -v xindy \
              && kpsewhich fncychap.sty && kpsewhich capt-of.sty \
              && fc-list | grep FreeSerif; } >/dev/null 2>&1
    packages="texlive-xetex texlive-latex-recommended texlive-latex-extra
              texlive-fonts-recommended latexmk xindy fonts-freefont-otf" ;;
  browser)
    check() { command -v chromium && command -v pdftotext && command -v pdffonts \
              && command -v pdftoppm; } >/dev/null 2>&1
    packages="chromium chromium-driver poppler-utils" ;;
  npm)
    check() { command -v npm; } >/dev/null 2>&1
    packages="nodejs npm" ;;
  *) echo "usage: $0 tex|browser|npm" >&2; exit 2 ;;
esac

if check; then exit 0; fi
packages=$(echo $packages)
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: $packages"
  export DEBIAN_FRONTEND=noninteractive
  # One index refresh serves the three targets a fresh machine installs
  # (npm, tex, browser): skipped while the package lists are under an hour
  # old, and done anyway if an install then fails.
  install() { apt-get install -y -qq --no-install-recommends $packages >/dev/null; }
  if ! find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 \
       2>/dev/null | grep -q .; then
    apt-get update -qq
  fi
  install || { apt-get update -qq && install; }
  check || { echo "system-deps: $1 still incomplete after apt-get" >&2; exit 1; }
else
  echo "Missing system packages for '$1'. Install them with:" >&2
  echo "  sudo apt-get install --no-install-recommends $packages" >&2
  exit 1
fi
