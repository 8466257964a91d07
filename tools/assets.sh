#!/bin/sh
# assets.sh: rebuilds assets/digits and assets/photos from the data files of two Debian packages
# (downloaded and unpacked in a temporary folder, not installed): python3-sklearn's UCI digits
# (CC BY 4.0) and python3-skimage's CC0 and public-domain photographs. The same packages give
# the same files (tools/assets.c is seeded). Run from anywhere: tools/assets.sh
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download python3-sklearn python3-skimage >/dev/null) || {
    echo "assets: apt-get download failed (run apt-get update first?)" >&2
    exit 1
}
for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
sk=$tmp/root/usr/lib/python3/dist-packages
cc -O2 -std=c11 -isystem /usr/include/stb -o "$tmp/assets" tools/assets.c -lz -lm
rm -rf assets/digits assets/photos
"$tmp/assets" digits "$sk/sklearn/datasets/data/digits.csv.gz" assets/digits
d=$sk/skimage/data
"$tmp/assets" photos assets/photos astronaut="$d/astronaut.png" cat="$d/chelsea.png" \
    coffee="$d/coffee.png" rocket="$d/rocket.jpg" galaxies="$d/hubble_deep_field.jpg" \
    retina="$d/retina.jpg"
dpkg-deb -f "$tmp"/python3-sklearn_*.deb Version > assets/digits/VERSION
dpkg-deb -f "$tmp"/python3-skimage_*.deb Version > assets/photos/VERSION
du -sh assets/digits assets/photos
