#!/usr/bin/env bash
# One tunnel per value of the guide's algorithm table (site-to-site.md section 2 #7-#12):
# every phase 1/2 encryption algorithm, every integrity algorithm and every DH group, each
# proposed alone by a real strongSwan customer gateway to a Gatehouse responder with the
# default options (all allowed). Each run checks what strongSwan negotiated (swanctl --raw),
# that the tunnel is UP on our side and that ICMP passes both ways. DH groups are also used
# for PFS on a CHILD SA rekey (phase 2: the first CHILD SA never does a DH, interop.md 3).
#
#   cgwhost 172.16.1.10 -- cgw 192.0.2.2 ====== 198.51.100.1 gw -- 10.0.1.10 vpchost
#                          (strongSwan)   UDP 4500   (Gatehouse engine, defaults)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s2s_lib.bash"

s2s_topology
gh_start "$(s2s_gh_conf)"
SS_START=none s2s_cgw_up

# A failed value is reported and the loop goes on, so one run shows the whole matrix.
failed=0
bad() {
	echo "FAIL: $*"
	failed=$((failed + 1))
	return 1
}

# The CHILD SA with inbound SPI $1 is gone and an installed one shows $2.
child_rekeyed() {
	local raw
	raw=$(ss_raw)
	echo "$raw" | grep -q "state=INSTALLED.*$2" && ! echo "$raw" | grep -q "$1"
}

# run LABEL IKE-PROPOSAL ESP-PROPOSAL EXPECT-IKE-RAW [EXPECT-CHILD-RAW-AFTER-REKEY]
run() {
	local label=$1 raw spi
	swanctl_ns cgw --terminate --ike aws-tun1 --timeout 5 >/dev/null 2>&1
	SS_START=none SS_IKE=$2 SS_ESP=$3 s2s_swanctl_cgw
	ss_load cgw
	swanctl_ns cgw --initiate --child tun1 --timeout 30 >"$GH_TMP/init.out" 2>&1 ||
		{ bad "$label: initiate failed: $(tail -3 "$GH_TMP/init.out" | tr '\n' ' ')"; return; }
	raw=$(ss_raw)
	echo "$raw" | grep -q -- "$4" || { bad "$label: expected '$4' in: $raw"; return; }
	wait_for 10 gh_status_is 1 UP || { bad "$label: not UP on our side: $(cat $GH_TMP/status)"; return; }
	ping_ok cgwhost $S2S_VPCHOST || { bad "$label: ping cgwhost -> vpchost"; return; }
	ping_ok vpchost $S2S_CGWHOST || { bad "$label: ping vpchost -> cgwhost"; return; }
	if [ -n "${5:-}" ]; then
		spi=$(echo "$raw" | grep -o 'spi-in=[0-9a-f]*')
		swanctl_ns cgw --rekey --child tun1 >/dev/null 2>&1 || { bad "$label: rekey request"; return; }
		wait_for 15 child_rekeyed "$spi" "$5" ||
			{ bad "$label: CHILD SA rekey with PFS '$5' not seen: $(ss_raw)"; return; }
		ping_ok cgwhost $S2S_VPCHOST || { bad "$label: ping after PFS rekey"; return; }
	fi
	pass "$label"
}

for e in "aes128:AES_CBC encr-keysize=128" "aes256:AES_CBC encr-keysize=256" \
	"aes128gcm16:AES_GCM_16 encr-keysize=128" "aes256gcm16:AES_GCM_16 encr-keysize=256"; do
	alg=${e%%:*}
	case $alg in *gcm*) ike="$alg-prfsha256-modp2048" esp="$alg" ;; *) ike="$alg-sha256-modp2048" esp="$alg-sha256" ;; esac
	# Phase 1 (IKE SA) and phase 2 (ESP) separately, the other phase on AES128/SHA2-256.
	run "phase 1 encryption $alg" "$ike" "aes128-sha256" "encr-alg=${e#*:}"
	run "phase 2 encryption $alg" "aes128-sha256-modp2048" "$esp" \
		"child-sas.*encr-alg=${e#*:}"
done

for i in "sha1:HMAC_SHA1_96" "sha256:HMAC_SHA2_256_128" "sha384:HMAC_SHA2_384_192" \
	"sha512:HMAC_SHA2_512_256"; do
	alg=${i%%:*}
	run "integrity $alg (phase 1 and 2)" "aes128-$alg-modp2048" "aes128-$alg" "integ-alg=${i#*:}"
done

for d in "2:modp1024:MODP_1024" "14:modp2048:MODP_2048" "15:modp3072:MODP_3072" \
	"16:modp4096:MODP_4096" "17:modp6144:MODP_6144" "18:modp8192:MODP_8192" \
	"19:ecp256:ECP_256" "20:ecp384:ECP_384" "21:ecp521:ECP_521" \
	"22:modp1024s160:MODP_1024_160" "23:modp2048s224:MODP_2048_224" \
	"24:modp2048s256:MODP_2048_256"; do
	IFS=: read -r num name rawname <<<"$d"
	run "DH group $num ($name, phase 1 and PFS in phase 2)" "aes128-sha256-$name" \
		"aes128-sha256-$name" "dh-group=$rawname" "dh-group=$rawname"
done
[ "$failed" -eq 0 ] || fail "$failed of $((failed + GH_PASSES)) algorithm runs failed"
s2s_finish
