#!/usr/bin/env bash
# Builds an OCI image of gitcanary from its .deb over Debian 12, from Debian
# packages only: mmdebstrap makes a minimal root file system (the Essential
# packages, ca-certificates, the .deb and its dependencies) and umoci writes
# it as one layer of an OCI image layout, with the entrypoint, the non-root
# user and the labels. No container daemon, no registry but Debian's mirror.
#
#   deploy/image/build.sh [DEB]      default: build/gitcanary_*.deb
#
# Writes $GC_IMAGE_OUT (default build/image): oci/ (an OCI image layout,
# tag = the package version) and gitcanary_<version>_oci.tar (the same as an
# archive, for `skopeo copy oci-archive:...` or `podman load -i`).
#
# Environment: GC_IMAGE_OUT; GC_IMAGE_SOURCES, an apt sources file for Debian
# 12 (default: this Debian 12 machine's own, /etc/apt/sources.list.d/
# debian.sources or /etc/apt/sources.list); GC_IMAGE_UID (default 999, the
# uid and gid of the gitcanary user, which deploy/ runs as); SOURCE_DATE_EPOCH
# for a reproducible root file system. Tested as root (mmdebstrap's root
# mode); mmdebstrap picks its unshare mode for a user with subordinate ids.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
suite=bookworm
uid=${GC_IMAGE_UID:-999}
out=${GC_IMAGE_OUT:-$src/build/image}

die() {
	echo "image: $*" >&2
	exit 1
}

if [ $# -gt 1 ]; then
	echo "usage: deploy/image/build.sh [DEB]" >&2
	exit 2
fi
if [ $# -eq 1 ]; then
	deb=$1
else
	shopt -s nullglob
	debs=("$src"/build/gitcanary_*.deb)
	shopt -u nullglob
	[ ${#debs[@]} -eq 1 ] ||
		die "found ${#debs[@]} build/gitcanary_*.deb; build one with 'cpack -G DEB' in build/ or name it"
	deb=${debs[0]}
fi
[ -f "$deb" ] || die "$deb: no such file"
sources=${GC_IMAGE_SOURCES:-}
if [ -z "$sources" ]; then
	for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
		if [ -f "$f" ] && grep -q "$suite" "$f"; then
			sources=$f
			break
		fi
	done
	[ -n "$sources" ] || die "no apt sources for Debian $suite on this machine: set GC_IMAGE_SOURCES"
fi
[ -f "$sources" ] || die "$sources: no such file"
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
case $uid in
'' | *[!0-9]*) die "GC_IMAGE_UID must be a number" ;;
esac
# adduser --system, which a package's maintainer script may run, keeps an
# existing user only when it is a system user.
[ "$uid" -ge 100 ] && [ "$uid" -le 999 ] || die "GC_IMAGE_UID must be 100-999 (a system uid)"

tools=(mmdebstrap umoci dpkg-scanpackages)
missing=()
for t in "${tools[@]}"; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing ${missing[*]}: apt-get install mmdebstrap umoci dpkg-dev"
	echo "image: installing mmdebstrap umoci dpkg-dev" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		mmdebstrap umoci dpkg-dev >/dev/null
fi

pkg=$(dpkg-deb -f "$deb" Package)
version=$(dpkg-deb -f "$deb" Version)
arch=$(dpkg-deb -f "$deb" Architecture)
[ "$arch" != all ] || arch=$(dpkg --print-architecture)
# An OCI tag is [A-Za-z0-9_][A-Za-z0-9_.-]*: Debian's epoch, ~ and + go.
tag=$(printf '%s' "${version#*:}" | tr -c 'A-Za-z0-9_.-' '_')

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/repo"
cp "$deb" "$tmp/repo/"
(cd "$tmp/repo" && dpkg-scanpackages --multiversion . >Packages 2>/dev/null)

# The essential hook runs before the .deb is installed: a gitcanary user
# with a fixed id, which adduser in the package's scripts keeps as it is,
# so the manifests can name the uid. Documentation goes, except copyrights;
# the local repository's line goes from apt's sources; no file keeps a setuid
# or setgid bit (su, passwd: nothing in the image needs them).
echo "image: $pkg $version ($arch) over Debian $suite" >&2
mmdebstrap --variant=essential --architectures="$arch" \
	--include="ca-certificates,$pkg" \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/lintian/*' \
	--essential-hook="echo 'gitcanary:x:$uid:' >>\"\$1/etc/group\"" \
	--essential-hook="echo 'gitcanary:x:$uid:$uid:gitcanary:/var/lib/gitcanary:/usr/sbin/nologin' >>\"\$1/etc/passwd\"" \
	--customize-hook="mkdir -p \"\$1/var/lib/gitcanary\" \"\$1/var/cache/gitcanary\"" \
	--customize-hook="chown $uid:$uid \"\$1/var/lib/gitcanary\" \"\$1/var/cache/gitcanary\"" \
	--customize-hook="for f in \"\$1\"/etc/apt/sources.list \"\$1\"/etc/apt/sources.list.d/*; do [ ! -f \"\$f\" ] || { sed -i '/copy:/d' \"\$f\"; [ -s \"\$f\" ] || rm \"\$f\"; }; done" \
	--customize-hook="find \"\$1\" -xdev -type f -perm /6000 -exec chmod ug-s {} +" \
	--customize-hook="rm -rf \"\$1\"/var/log/apt \"\$1\"/var/log/dpkg.log \"\$1\"/var/log/alternatives.log \"\$1\"/var/cache/ldconfig/aux-cache" \
	"$suite" "$tmp/rootfs.tar" \
	"$sources" \
	"deb [trusted=yes] copy://$tmp/repo ./"

created=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%dT%H:%M:%SZ)
rev=$(git -C "$src" rev-parse HEAD 2>/dev/null || true)
rm -rf "$out/oci"
mkdir -p "$out"
umoci init --layout "$out/oci"
umoci new --image "$out/oci:$tag"
umoci raw add-layer --image "$out/oci:$tag" "$tmp/rootfs.tar" \
	--history.created_by="mmdebstrap --variant=essential $suite + $(basename "$deb")" \
	--history.created="$created"
umoci config --image "$out/oci:$tag" \
	--config.user="$uid:$uid" \
	--config.entrypoint=/usr/bin/gitcanary \
	--config.cmd=run \
	--config.workingdir=/var/lib/gitcanary \
	--config.env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	--config.env=HOME=/var/lib/gitcanary \
	--config.exposedports=8080/tcp \
	--config.label=org.opencontainers.image.title=gitcanary \
	--config.label="org.opencontainers.image.description=GitOps progressive delivery through git commits" \
	--config.label="org.opencontainers.image.version=$version" \
	--config.label="org.opencontainers.image.created=$created" \
	--config.label="org.opencontainers.image.base.name=debian:$suite" \
	${rev:+--config.label=org.opencontainers.image.revision=$rev} \
	--created="$created" \
	--history.created_by="gitcanary image config (deploy/image/build.sh)" \
	--history.created="$created"
umoci gc --layout "$out/oci"

archive=$out/${pkg}_${tag}_oci.tar
rm -f "$archive"
tar -C "$out/oci" -cf "$archive" .
digest=$(sed -n 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$out/oci/index.json" | head -1)
cat <<EOF
image: $out/oci:$tag
image: archive $archive ($(du -h "$archive" | cut -f1))
image: manifest $digest
image: push with: skopeo copy oci-archive:$archive docker://REGISTRY/gitcanary:$tag
EOF
