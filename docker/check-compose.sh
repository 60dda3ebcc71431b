#!/bin/sh
# Print the Docker Compose command to use for docker/docker-compose.yml:
#   "docker compose"  (the v2 CLI plugin), or
#   "docker-compose"  (standalone; Debian's `docker-compose` package is v1.29),
# whichever works here. `config` (what the tests run) is client-side: no engine needed.
#
# When neither works and we are root on a Debian/Ubuntu machine, install Debian's
# docker-compose package (apt-get) and print "docker-compose". Exit 3 (environment not
# ready, as the csc-warehouse CLI) when no compose can be had.
#
#   COMPOSE="$(docker/check-compose.sh)" && $COMPOSE -f docker/docker-compose.yml config -q
#   docker/check-compose.sh --no-install     # only look, never install
set -eu

install=1
case "${1:-}" in
    --no-install) install=0 ;;
    "") ;;
    *) echo "usage: $0 [--no-install]" >&2; exit 2 ;;
esac

find_compose() {
    if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
        echo "docker compose"
        return 0
    fi
    if command -v docker-compose >/dev/null 2>&1 && docker-compose version >/dev/null 2>&1; then
        echo "docker-compose"
        return 0
    fi
    return 1
}

if find_compose; then
    exit 0
fi

if [ "$install" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "check-compose: no Docker Compose found; installing Debian's docker-compose ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    # --no-install-recommends: its Recommends is docker.io, a whole engine we do not want
    apt-get install -y --no-install-recommends docker-compose >&2
    if find_compose; then
        exit 0
    fi
fi

echo "check-compose: no Docker Compose here: install the docker compose plugin or" \
     "Debian's docker-compose package (apt-get install --no-install-recommends docker-compose)." >&2
exit 3
