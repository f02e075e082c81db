#!/usr/bin/env bash
# Installs the Debian packages vagga needs on the host (Debian 12 or newer), through apt-get.
# Runs apt-get directly as root, through sudo otherwise. Used by README's first command and by
# .ci/run, so the list lives in one place.
#   bubblewrap       the sandbox (bwrap)
#   uidmap           newuidmap/newgidmap (setuid) for multi-uid maps
#   util-linux       unshare and setpriv (the user namespace launcher), nsenter (networked
#                    !Supervise children), script (tests)
#   iproute2         ip: bridge, veth pairs, addresses and partitions of networked !Supervise runs
#   passwd           useradd/usermod (subordinate id ranges; the test harness's user)
#   mmdebstrap       the !Debian base
#   catatonit        pid 1 inside containers (signal forwarding, tty hand-over)
#   busybox-static   !Snapshot copies; the offline base of the generic end-to-end tests
#   tar gzip xz-utils bzip2   !Tar formats (GNU tar runs inside the user namespace)
#   ca-certificates  https downloads
#   git              the !Git, !GitInstall and !GitDescribe steps
#   skopeo           _pack_image --format docker (docker-archive); !OciImage resolves a tag to its
#                    digest and pulls images (digest-checked); tests read images back
#   zstd             _pack_image --zstd
#   attr             getfattr: a layered _pack_image reads the build cache's opaque directories
#   umoci            !OciImage and multi-layer image-cache downloads: applies image layers inside
#                    the user namespace (whiteouts, owners, no path outside the root)
#   podman runc      tests only: load and run exported images as the ordinary test user
#   docker-registry  tests only: a loopback OCI registry the end-to-end tests push to and pull from
#   systemd          tests only: systemd-socket-activate starts vagga socket-activated
#   passt iproute2   isolated networks: pasta publishes ports / gives outbound access
#                    (--publish, --network-outbound); ip brings up their loopback
set -euo pipefail
as_root=()
# The docker-registry package starts a system registry on :5000 when systemd runs. The tests
# start their own (as the test user, on a free port): stop the service only if this script is
# what installs the package, so a registry somebody already runs is left alone.
had_registry=0
if dpkg -s docker-registry >/dev/null 2>&1; then had_registry=1; fi
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y bubblewrap uidmap util-linux iproute2 passwd mmdebstrap catatonit \
  busybox-static tar gzip xz-utils bzip2 ca-certificates git skopeo zstd attr umoci podman runc \
  docker-registry systemd passt iproute2
if [ "$had_registry" = 0 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  "${as_root[@]}" systemctl disable --now docker-registry || true
fi
