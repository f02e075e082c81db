#!/usr/bin/env bash
# Run the example project (examples/vagga.yaml): `vagga hello`, which builds the `example`
# container (Debian bookworm + GNU hello + a local tarball + a text file) on first use.
# Needs the bundle (npm run build) and the host packages listed in README.md.
#
# vagga is meant for ordinary users: it maps the user to root inside a user namespace and
# uses the user's /etc/subuid and /etc/subgid ranges for the other ids.
# - As an ordinary user: a missing subuid/subgid range is added with sudo usermod (shown).
# - As root: the example runs as a dedicated ordinary user `vagga-example` (created with
#   useradd if missing) on a copy of examples/ and dist/ under /tmp/vagga-example.
# Extra arguments are passed to vagga instead of `hello` (e.g. `bash scripts/example.sh _list`).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
# dist/vagga.cjs is the entry users run (package.json "bin"); it loads dist/vagga-main.cjs.
[ -x "$repo/dist/vagga.cjs" ] && [ -f "$repo/dist/vagga-main.cjs" ] ||
  { echo "dist/vagga.cjs is missing: run npm run build" >&2; exit 1; }
[ "$#" -gt 0 ] || set -- hello

has_range() { # FILE USER UID
  awk -F: -v u="$2" -v id="$3" '($1 == u || $1 == id) && $3 >= 65536 { found = 1 } END { exit !found }' "$1" 2>/dev/null
}
free_start() { # first 65536-aligned id above every existing range (at least 100000)
  cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: 'BEGIN { e = 100000 } NF == 3 && $2 + $3 > e { e = $2 + $3 }
    END { printf "%d\n", int((e + 65535) / 65536) * 65536 }'
}
ensure_ranges() { # USER UID [sudo]
  local user="$1" uid="$2" sudo="${3:-}" start
  if ! has_range /etc/subuid "$user" "$uid" || ! has_range /etc/subgid "$user" "$uid"; then
    start="$(free_start)"
    echo "+ $sudo usermod --add-subuids $start-$((start + 65535)) --add-subgids $start-$((start + 65535)) $user" >&2
    $sudo usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" "$user"
  fi
}

if [ "$(id -u)" -ne 0 ]; then
  ensure_ranges "$(id -un)" "$(id -u)" sudo
  cd "$repo/examples"
  exec "$repo/dist/vagga.cjs" "$@"
fi

user=vagga-example
id -u "$user" >/dev/null 2>&1 || useradd --create-home --user-group --shell /bin/sh "$user"
ensure_ranges "$user" "$(id -u "$user")"
home="$(getent passwd "$user" | cut -d: -f6)"
work=/tmp/vagga-example
mkdir -p "$work/project" "$work/cache"
cp -r "$repo/dist" "$work/"
cp -r "$repo/examples/." "$work/project/"
chmod -R a+rX "$work/dist"
chmod 755 "$work"
chown -R "$user:$user" "$work/project" "$work/cache"
cd "$work/project"
echo "(running as root: vagga runs as the ordinary user $user in $work/project)" >&2
exec setpriv --reuid "$user" --regid "$user" --init-groups -- \
  env -i HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8 \
  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$(dirname "$(command -v node)")" \
  VAGGA_SETTINGS="cache-dir: $work/cache" \
  "$(command -v node)" "$work/dist/vagga.cjs" "$@"
