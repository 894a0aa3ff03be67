#!/usr/bin/env bash
# Make sure the SIP edge's programs are installed (Debian 12 packages): Kamailio with the modules
# the project's config loads (evapi, jansson, xhttp/jsonrpcs, tcpops, dispatcher, rtpengine),
# SIPp (sip-tester) for the softphones the tests and the benchmark play, and rtpengine's
# userspace daemon. Idempotent; fails loudly when apt-get fails. The Debian kamailio and
# rtpengine services are not started: tests run private instances on free ports.
set -euo pipefail

modules=/usr/lib/x86_64-linux-gnu/kamailio/modules
arch_modules=$(ls -d /usr/lib/*/kamailio/modules 2>/dev/null | head -n 1 || true)
[ -n "$arch_modules" ] && modules=$arch_modules

need=()
command -v kamailio >/dev/null 2>&1 || need+=(kamailio)
[ -e "$modules/evapi.so" ] || need+=(kamailio-extra-modules)
[ -e "$modules/jansson.so" ] || need+=(kamailio-json-modules)
[ -e "$modules/xhttp.so" ] || need+=(kamailio-utils-modules)
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
# rtpengine-daemon only: the `rtpengine` metapackage would pull the kernel module (dkms) and the
# recording daemon, which userspace forwarding does not need.
command -v rtpengine >/dev/null 2>&1 || need+=(rtpengine-daemon)

if ((${#need[@]})); then
  echo "== installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get update -qq; then
    echo "ensure_sip_edge: apt-get update failed" >&2; exit 1
  fi
  # (on a machine with systemd the packages start their own services on 5060 and 2223: the
  # tests use free ports and do not need them)
  if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
    echo "ensure_sip_edge: apt-get install ${need[*]} failed" >&2; exit 1
  fi
fi

for program in kamailio sipp rtpengine; do
  command -v "$program" >/dev/null 2>&1 || { echo "ensure_sip_edge: $program is missing" >&2; exit 1; }
done
for module in evapi jansson xhttp jsonrpcs tcpops dispatcher rtpengine; do
  [ -e "$modules/$module.so" ] || { echo "ensure_sip_edge: Kamailio module $module.so is missing" >&2; exit 1; }
done
