#!/usr/bin/env bash
# Installs the Debian packages gitcanary needs, when they are missing.
# Run as root on a fresh Debian 12 machine; does nothing when all are present.
set -euo pipefail

packages=(
	build-essential cmake pkg-config git
	libgit2-dev libyaml-dev libcurl4-openssl-dev libcjson-dev libdeflate-dev libjemalloc-dev
	check libmicrohttpd-dev libssl-dev
	prometheus curl
	openssh-server openssh-client openssl
	clang-14 libclang-rt-14-dev
	# man pages, completions and the .deb (scripts/test-package.sh)
	man-db groff-base bsdextrautils zsh
	dpkg-dev file adduser systemd systemd-container
	# the image of deploy/image: build.sh and its test
	mmdebstrap umoci buildah
)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	if [ "$(id -u)" != 0 ]; then
		echo "setup: run as root (apt-get) or install: ${missing[*]}" >&2
		exit 1
	fi
	apt-get update -qq
	# prometheus and openssh-server are tools of the tests, not services
	# to run on this machine: a temporary policy-rc.d (Debian's switch for
	# maintainer scripts) keeps apt from starting them; a site's own
	# policy-rc.d is left alone.
	policy=/usr/sbin/policy-rc.d
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod +x "$policy"
		trap 'rm -f "$policy"' EXIT
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# kustomize v5 builds overlays that use more than resources: and
# namespace: (docs/repository-layout.md): `kustomize` itself, or kubectl
# 1.27+ (`kubectl kustomize`). Debian's kubernetes-client is older, so it
# is not installed from here: say what is missing instead.
kustomize_version() {
	if command -v kustomize >/dev/null 2>&1; then
		kustomize version 2>/dev/null | grep -o 'v[0-9][0-9.]*' | head -1
	elif command -v kubectl >/dev/null 2>&1; then
		kubectl version --client 2>/dev/null |
			sed -n 's/^Kustomize Version: //p' | head -1
	fi
}
kv=$(kustomize_version)
case "$kv" in
v[5-9].* | v[1-9][0-9].*) ;;
*)
	echo "setup: kustomize v5 not found (${kv:-none}): install kustomize v5" \
		"(https://kubectl.docs.kubernetes.io/installation/kustomize/)" \
		"or kubectl 1.27 or later; repositories of resources: and" \
		"namespace: only work without it, overlays and their tests do not" >&2
	;;
esac
