#!/usr/bin/env bash
# Install what Gatehouse needs to build and test on Debian 12, only what is missing.
set -euo pipefail
pkgs=(
	build-essential pkg-config clang libclang-rt-14-dev
	libssl-dev libsqlite3-dev libmicrohttpd-dev libjson-c-dev libnftables-dev dnsmasq-base
	iproute2 nftables iperf3 iputils-ping procps psmisc curl python3 tcpdump
	strongswan-swanctl strongswan-charon charon-systemd strongswan-libcharon
	libcharon-extra-plugins libstrongswan-standard-plugins libstrongswan-extra-plugins
	openvpn easy-rsa awscli
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Python clients the API tests drive (the machine's python has them; Debian's as a fallback).
if ! python3 -c 'import boto3' 2>/dev/null; then
	SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-boto3 >/dev/null
fi
