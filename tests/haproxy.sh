# HAProxy in front of several camcloud instances, for the tests and the benchmarks.
# Source it. haproxy_config FRONT SERVER... prints a configuration: HTTP on FRONT
# (HOST:PORT), round robin over the instances SERVER (HOST:PORT), each checked by a TCP
# connect every 300 ms (down after 2 failures); a request whose instance cannot be
# reached is sent to another. HAPROXY_MAXCONN (default 1000) bounds the connections;
# HAPROXY_TIMEOUT_S (default 120) must outlast the longest held poll.
# HAPROXY_CHECK replaces the check's timing ("inter 300ms fall 2 rise 2"): a benchmark
# that loads the machine until a connect takes longer than 300 ms wants a calmer one.
haproxy_config() {
	local front=$1 i=0 s
	shift
	printf 'global\n\tmaxconn %s\n' "${HAPROXY_MAXCONN:-1000}"
	printf 'defaults\n\tmode http\n\ttimeout connect 2s\n'
	printf '\ttimeout client %ss\n\ttimeout server %ss\n' "${HAPROXY_TIMEOUT_S:-120}" "${HAPROXY_TIMEOUT_S:-120}"
	printf '\ttimeout http-keep-alive 60s\n\tretries 3\n\toption redispatch\n'
	printf 'frontend devices\n\tbind %s\n\tmaxconn %s\n\tdefault_backend camcloud\n' "$front" "${HAPROXY_MAXCONN:-1000}"
	printf 'backend camcloud\n\tbalance roundrobin\n'
	for s in "$@"; do
		i=$((i + 1))
		printf '\tserver c%d %s check %s\n' "$i" "$s" "${HAPROXY_CHECK:-inter 300ms fall 2 rise 2}"
	done
}

# free_port: a loopback TCP port that was free a moment ago.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
