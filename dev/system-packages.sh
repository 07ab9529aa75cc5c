#!/usr/bin/env bash
# What `make test` needs from Debian besides Python: the browser tests drive Debian's
# chromium and chromedriver, and Chinese pages need a CJK font. Installed only when
# missing, so a machine that has them pays nothing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
{ command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; } || need+=(fonts-noto-cjk)
((${#need[@]})) || exit 0
echo "installing ${need[*]} with apt (browser tests)"
sudo=$([ "$(id -u)" = 0 ] || echo sudo)
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
